package io.jvfio.toolkit.bench;

import io.jvfio.Container;
import io.jvfio.DmaDirection;
import io.jvfio.DmaMapper;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.VfioBackend;
import io.jvfio.toolkit.Backing;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.VfioHost;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The Java counterpart of {@code native/guest-bench/mapbench.c}: the same setup and operations through
 * jvfio's public API and toolkit, the same output, so the two can be compared line by line in the
 * guest.
 *
 * <p>Setup on group G (default 0): a SPAPR v2 container, 32 MiB of anonymous {@link DmaMemory}
 * registered with REGISTER_MEMORY, and a created 64-bit window (4 KiB TCE pages, 32 MiB, 1 level,
 * next to the default window: QEMU places it at 0x0800000000000000). Measured, each repetition timed
 * alone with {@link System#nanoTime()}, after untimed warmup repetitions (the JIT needs a few thousand
 * calls to reach its steady state):
 * <ul>
 *   <li>{@code one_page}: {@link Container#map} of one 4 KiB page, then {@link Container#unmap};</li>
 *   <li>{@code 8192_pages}: the whole 32 MiB (8192 TCEs) in one call each.</li>
 * </ul>
 *
 * <p>stdout holds exactly {@code mapbench one_page median_ns=N} and {@code mapbench 8192_pages
 * median_ns=N}; setup and spread go to stderr, prefixed with {@code #}. Options as the C program:
 * {@code -g GROUP -n ONE_PAGE_REPS -m MANY_PAGES_REPS -w ONE_PAGE_WARMUP -W MANY_WARMUP}, plus
 * {@code --emulated PROFILE} to measure the emulator instead of the running kernel (the default; no
 * fallback: without {@code /dev/vfio} the run fails), {@code --seam}: the same ioctls straight on the backend seam
 * ({@link VfioBackend}, argument structs prepared once), without the public API, and {@code --mapper}: the
 * public API through a {@link DmaMapper} (the driver's hot path) instead of the container's thread-safe
 * methods. The difference between an API run and the seam run is what the API costs; the difference
 * between {@code --seam} and C is the FFM downcall. {@code --seam-gap} takes that difference apart: after
 * the seam's setup it prints, instead of the two lines, the one-page loops of {@link SeamGap}.
 * Exit status 0, 1 on a VFIO failure, 2 on bad arguments.
 */
public final class MapBench {
    static final long BUF_SIZE = 32L << 20;
    static final int TCE_SHIFT = 12;
    static final long TCE_PAGE = 1L << TCE_SHIFT;

    /** The parsed command line. */
    record Args(int group, int repsOne, int repsMany, int warmOne, int warmMany, String profile, boolean seam,
            boolean mapper, boolean seamGap) {
        static Args parse(String[] a) {
            int group = 0;
            int repsOne = 1001;
            int repsMany = 21;
            int warmOne = 2000;
            int warmMany = 3;
            String profile = null;
            boolean seam = false;
            boolean mapper = false;
            boolean seamGap = false;
            for (int i = 0; i < a.length; i++) {
                String opt = a[i];
                if (opt.equals("--seam") || opt.equals("--mapper") || opt.equals("--seam-gap")) {
                    seam |= !opt.equals("--mapper");
                    mapper |= opt.equals("--mapper");
                    seamGap |= opt.equals("--seam-gap");
                    continue;
                }
                if (i + 1 >= a.length) {
                    throw new IllegalArgumentException("missing value after " + opt);
                }
                String v = a[++i];
                switch (opt) {
                    case "-g" -> group = number(v, "group");
                    case "-n" -> repsOne = number(v, "one-page repetitions");
                    case "-m" -> repsMany = number(v, "8192-page repetitions");
                    case "-w" -> warmOne = number(v, "one-page warmup");
                    case "-W" -> warmMany = number(v, "8192-page warmup");
                    case "--emulated" -> profile = v;
                    default -> throw new IllegalArgumentException("unknown option " + opt);
                }
            }
            if (repsOne == 0 || repsMany == 0) {
                throw new IllegalArgumentException("repetitions must be positive");
            }
            if (seam && mapper) {
                throw new IllegalArgumentException("--seam (or --seam-gap) and --mapper exclude each other");
            }
            return new Args(group, repsOne, repsMany, warmOne, warmMany, profile, seam, mapper, seamGap);
        }

        private static int number(String s, String what) {
            try {
                int v = Integer.parseInt(s);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad " + what + " '" + s + "': want a non-negative integer");
            }
        }
    }

    /** The two medians, in nanoseconds. */
    public record Result(long onePageMedianNanos, long manyPagesMedianNanos, long windowStart) {}

    private MapBench() {}

    public static void main(String[] argv) {
        Args args;
        try {
            args = Args.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("mapbench: " + e.getMessage());
            System.err.println("usage: MapBench [-g GROUP] [-n ONE_PAGE_REPS] [-m MANY_PAGES_REPS] [-w ONE_PAGE_WARMUP] "
                    + "[-W MANY_WARMUP] [--emulated PROFILE] [--seam | --seam-gap | --mapper]");
            System.exit(2);
            return;
        }
        try (Vfio vfio = args.profile() != null ? VfioHost.emulated(args.profile()) : Vfio.kernel()) {
            if (args.seam()) {
                runSeam(vfio.backend(), args, System.out, System.err);
            } else {
                run(vfio, args, System.out, System.err);
            }
        } catch (VfioException | IllegalStateException e) {
            System.err.println("mapbench: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Runs the benchmark and prints its two result lines on {@code out}, diagnostics on {@code err}. */
    static Result run(Vfio vfio, Args args, PrintStream out, PrintStream err) throws VfioException {
        err.println("# backend: " + vfio.backend().description() + "; MAP/UNMAP through "
                + (args.mapper() ? "a DmaMapper" : "the Container"));
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(args.group())) {
            if (!g.status().viable()) {
                throw new io.jvfio.VfioGuardException("group " + args.group(), 0,
                        "not viable: bind all its devices to vfio-pci");
            }
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            TceInfo info = c.tceInfo();
            err.printf("# group %d: default window 0x%x+0x%x, ddw flags 0x%x%s%n", args.group(), info.dma32WindowStart(),
                    info.dma32WindowSize(), info.flags(), info.ddw().map(d -> String.format(" pgsizes 0x%x max_windows %d "
                            + "levels %d", d.pgsizes(), d.maxDynamicWindows(), d.levels())).orElse(""));
            try (DmaMemory mem = DmaMemory.allocate(vfio, BUF_SIZE, Backing.ANONYMOUS, TCE_PAGE)) {
                mem.segment().fill((byte) 0x5a);
                c.registerMemory(mem.segment());
                DmaWindow w = c.createWindow(TCE_SHIFT, BUF_SIZE, 1);
                err.printf("# window: start 0x%x size 0x%x page_shift %d levels 1; buffer 32 MiB registered%n", w.start(),
                        w.size(), TCE_SHIFT);
                long one;
                long many;
                try (DmaMapper m = args.mapper() ? c.mapper() : null) {
                    Ops ops = args.mapper() ? new MapperOps(m) : new ContainerOps(c);
                    one = bench("one_page", ops, mem.address(), w.start(), TCE_PAGE, args.repsOne(), args.warmOne(), err);
                    many = bench("8192_pages", ops, mem.address(), w.start(), BUF_SIZE, args.repsMany(), args.warmMany(),
                            err);
                }
                out.println("mapbench one_page median_ns=" + one);
                out.println("mapbench " + (BUF_SIZE / TCE_PAGE) + "_pages median_ns=" + many);
                out.flush();
                c.removeWindow(w.start());
                c.unregisterMemory(mem.segment());
                return new Result(one, many, w.start());
            }
        }
    }

    /**
     * The same setup and measurement as {@link #run}, on the backend seam: one method per ioctl, the
     * argument structs filled once. What remains per repetition is two downcalls and the kernel.
     */
    static Result runSeam(VfioBackend b, Args args, PrintStream out, PrintStream err) {
        err.println("# backend: " + b.description() + " (seam, no public API)");
        try (Arena arena = Arena.ofConfined()) {
            int container = fd(b.open("/dev/vfio/vfio"), "open /dev/vfio/vfio");
            int group = -1;
            try {
                group = fd(b.open("/dev/vfio/" + args.group()), "open /dev/vfio/" + args.group());
                ok(b.groupSetContainer(group, container), "VFIO_GROUP_SET_CONTAINER");
                ok(b.setIommu(container, VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU), "VFIO_SET_IOMMU(SPAPR_TCE_v2)");
                MemorySegment buf = b.mmapAnonymous(BUF_SIZE, false, arena);
                buf.fill((byte) 0x5a);
                MemorySegment reg = vfio_iommu_spapr_register_memory.fill(
                        arena.allocate(vfio_iommu_spapr_register_memory.LAYOUT), buf.address(), BUF_SIZE);
                ok(b.spaprRegisterMemory(container, reg), "VFIO_IOMMU_SPAPR_REGISTER_MEMORY");
                MemorySegment create = vfio_iommu_spapr_tce_create.fill(
                        arena.allocate(vfio_iommu_spapr_tce_create.LAYOUT), TCE_SHIFT, BUF_SIZE, 1);
                ok(b.spaprTceCreate(container, create), "VFIO_IOMMU_SPAPR_TCE_CREATE");
                long start = vfio_iommu_spapr_tce_create.start_addr.get(create);
                err.printf("# window: start 0x%x size 0x%x page_shift %d levels 1; buffer 32 MiB registered%n", start,
                        BUF_SIZE, TCE_SHIFT);
                long one = -1;
                long many = -1;
                if (args.seamGap()) {
                    SeamGap.run(b, container, mapArgs(arena, buf.address(), start, TCE_PAGE),
                            unmapArgs(arena, start, TCE_PAGE), args, arena, out, err);
                } else {
                    one = benchSeam("one_page", b, container, arena, buf.address(), start, TCE_PAGE, args.repsOne(),
                            args.warmOne(), err);
                    many = benchSeam("8192_pages", b, container, arena, buf.address(), start, BUF_SIZE, args.repsMany(),
                            args.warmMany(), err);
                    out.println("mapbench one_page median_ns=" + one);
                    out.println("mapbench " + (BUF_SIZE / TCE_PAGE) + "_pages median_ns=" + many);
                    out.flush();
                }
                MemorySegment remove = vfio_iommu_spapr_tce_remove.fill(
                        arena.allocate(vfio_iommu_spapr_tce_remove.LAYOUT), start);
                ok(b.spaprTceRemove(container, remove), "VFIO_IOMMU_SPAPR_TCE_REMOVE");
                ok(b.spaprUnregisterMemory(container, reg), "VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY");
                return new Result(one, many, start);
            } catch (ErrnoException e) {
                throw new IllegalStateException(e.getMessage(), e);
            } finally {
                if (group >= 0) {
                    b.close(group);
                }
                b.close(container);
            }
        }
    }

    private static MemorySegment mapArgs(Arena arena, long vaddr, long iova, long size) {
        return vfio_iommu_type1_dma_map.fill(arena.allocate(vfio_iommu_type1_dma_map.LAYOUT),
                VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE, vaddr, iova, size);
    }

    private static MemorySegment unmapArgs(Arena arena, long iova, long size) {
        return vfio_iommu_type1_dma_unmap.fill(arena.allocate(vfio_iommu_type1_dma_unmap.LAYOUT), iova, size);
    }

    private static long benchSeam(String name, VfioBackend b, int container, Arena arena, long vaddr, long iova,
            long size, int reps, int warmup, PrintStream err) {
        return report(name, seamPairs(b, container, mapArgs(arena, vaddr, iova, size), unmapArgs(arena, iova, size), reps,
                warmup), reps, warmup, err);
    }

    /** Times {@code reps} MAP+UNMAP pairs on the seam, after {@code warmup} untimed ones: each pair's nanoseconds. */
    static long[] seamPairs(VfioBackend b, int container, MemorySegment map, MemorySegment unmap, int reps, int warmup) {
        long[] t = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            long t0 = System.nanoTime();
            long r1 = b.iommuMapDma(container, map);
            long r2 = b.iommuUnmapDma(container, unmap);
            long dt = System.nanoTime() - t0;
            if (r1 != 0 || r2 != 0) {
                ok(r1 != 0 ? r1 : r2, r1 != 0 ? "VFIO_IOMMU_MAP_DMA" : "VFIO_IOMMU_UNMAP_DMA");
            }
            if (i >= 0) {
                t[i] = dt;
            }
        }
        return t;
    }

    private static int fd(int r, String what) {
        ok(r, what);
        return r;
    }

    private static void ok(long r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + " failed: " + Errno.format((int) -r));
        } else if (r > 0 && !what.startsWith("open")) {
            throw new IllegalStateException(what + " returned " + r);
        }
    }

    /** MAP and UNMAP through the public API: the container's thread-safe methods or a thread's {@link DmaMapper}. */
    private interface Ops {
        void map(long iova, long vaddr, long size) throws VfioException;

        void unmap(long iova, long size) throws VfioException;
    }

    private record ContainerOps(Container c) implements Ops {
        @Override
        public void map(long iova, long vaddr, long size) throws VfioException {
            c.map(iova, vaddr, size, DmaDirection.BIDIRECTIONAL);
        }

        @Override
        public void unmap(long iova, long size) throws VfioException {
            c.unmap(iova, size);
        }
    }

    private record MapperOps(DmaMapper m) implements Ops {
        @Override
        public void map(long iova, long vaddr, long size) throws VfioException {
            m.map(iova, vaddr, size, DmaDirection.BIDIRECTIONAL);
        }

        @Override
        public void unmap(long iova, long size) throws VfioException {
            m.unmap(iova, size);
        }
    }

    private static long bench(String name, Ops ops, long vaddr, long iova, long size, int reps, int warmup,
            PrintStream err) throws VfioException {
        for (int i = 0; i < warmup; i++) {
            ops.map(iova, vaddr, size);
            ops.unmap(iova, size);
        }
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            ops.map(iova, vaddr, size);
            ops.unmap(iova, size);
            t[i] = System.nanoTime() - t0;
        }
        return report(name, t, reps, warmup, err);
    }

    static long report(String name, long[] t, int reps, int warmup, PrintStream err) {
        Arrays.sort(t);
        long median = t[(reps - 1) / 2];
        err.printf("# %s: reps=%d warmup=%d min_ns=%d median_ns=%d max_ns=%d%n", name, reps, warmup, t[0], median,
                t[reps - 1]);
        return median;
    }
}
