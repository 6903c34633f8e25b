package io.jvfio.toolkit.bench;

import io.jvfio.Container;
import io.jvfio.DmaDirection;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.toolkit.Backing;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.VfioHost;
import java.io.PrintStream;
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
 * {@code --emulated PROFILE} to run on the emulator (the default when this host has no
 * {@code /dev/vfio/0}). Exit status 0, 1 on a VFIO failure, 2 on bad arguments.
 */
public final class MapBench {
    static final long BUF_SIZE = 32L << 20;
    static final int TCE_SHIFT = 12;
    static final long TCE_PAGE = 1L << TCE_SHIFT;

    /** The parsed command line. */
    record Args(int group, int repsOne, int repsMany, int warmOne, int warmMany, String profile) {
        static Args parse(String[] a) {
            int group = 0;
            int repsOne = 1001;
            int repsMany = 21;
            int warmOne = 2000;
            int warmMany = 3;
            String profile = null;
            for (int i = 0; i < a.length; i++) {
                String opt = a[i];
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
            return new Args(group, repsOne, repsMany, warmOne, warmMany, profile);
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
                    + "[-W MANY_WARMUP] [--emulated PROFILE]");
            System.exit(2);
            return;
        }
        try (Vfio vfio = args.profile() != null ? VfioHost.emulated(args.profile()) : VfioHost.kernelOrEmulated()) {
            run(vfio, args, System.out, System.err);
        } catch (VfioException e) {
            System.err.println("mapbench: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Runs the benchmark and prints its two result lines on {@code out}, diagnostics on {@code err}. */
    static Result run(Vfio vfio, Args args, PrintStream out, PrintStream err) throws VfioException {
        err.println("# backend: " + vfio.backend().description());
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
                long one = bench("one_page", c, mem.address(), w.start(), TCE_PAGE, args.repsOne(), args.warmOne(), err);
                long many = bench("8192_pages", c, mem.address(), w.start(), BUF_SIZE, args.repsMany(), args.warmMany(),
                        err);
                out.println("mapbench one_page median_ns=" + one);
                out.println("mapbench " + (BUF_SIZE / TCE_PAGE) + "_pages median_ns=" + many);
                out.flush();
                c.removeWindow(w.start());
                c.unregisterMemory(mem.segment());
                return new Result(one, many, w.start());
            }
        }
    }

    private static long bench(String name, Container c, long vaddr, long iova, long size, int reps, int warmup,
            PrintStream err) throws VfioException {
        for (int i = 0; i < warmup; i++) {
            c.map(iova, vaddr, size, DmaDirection.BIDIRECTIONAL);
            c.unmap(iova, size);
        }
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            c.map(iova, vaddr, size, DmaDirection.BIDIRECTIONAL);
            c.unmap(iova, size);
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        long median = t[(reps - 1) / 2];
        err.printf("# %s: reps=%d warmup=%d min_ns=%d median_ns=%d max_ns=%d%n", name, reps, warmup, t[0], median,
                t[reps - 1]);
        return median;
    }
}
