package io.jvfio.toolkit.bench;

import io.jvfio.abi.Arch;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.VfioBackend;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The seam's gap to C for one page, taken apart in one JVM ({@code MapBench --seam-gap}). Five loops,
 * each timed exactly like the seam's MAP+UNMAP pair ({@code System.nanoTime()} around the pair, the
 * median of the repetitions), each adding one ingredient to the one before, so that each difference
 * is one ingredient's cost where the benchmark pays it:
 * <ol>
 *   <li>{@code gap_timer}: nothing between the two clock reads (C prints its own: {@code mapbench timer});</li>
 *   <li>{@code gap_noop_downcalls}: two downcalls of libc's {@code abs} bound as ioctl without errno
 *       capture: the JVM's transition to native and back, no kernel;</li>
 *   <li>{@code gap_no_capture}: MAP and UNMAP through libc's ioctl bound without errno capture: the JVM's
 *       floor for the two ioctls (kernel backend only: the emulator has no ioctl to call);</li>
 *   <li>{@code gap_caller_buffer}: MAP and UNMAP through the seam with the caller's errno buffer;</li>
 *   <li>{@code gap_seam}: MAP and UNMAP through the seam's plain methods (the per-thread errno buffer):
 *       {@code --seam}'s {@code one_page} again, in this JVM.</li>
 * </ol>
 * Each line is {@code mapbench NAME median_ns=N}; {@code GuestMapBench} subtracts.
 */
final class SeamGap {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final FunctionDescriptor IOCTL_SHAPE = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
    private static final MethodHandle IOCTL_NO_CAPTURE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("ioctl").orElseThrow(), IOCTL_SHAPE, Linker.Option.firstVariadicArg(2));

    private SeamGap() {}

    /**
     * Runs the five loops on {@code container} (a SPAPR v2 container with a window and its buffer
     * registered) and prints their medians on {@code out}. {@code map} and {@code unmap} are the filled
     * one-page argument structs. The no-capture loop runs only on the kernel backend, whose fds are
     * the kernel's.
     */
    static void run(VfioBackend b, int container, MemorySegment map, MemorySegment unmap, MapBench.Args args,
            Arena arena, PrintStream out, PrintStream err) {
        int reps = args.repsOne();
        int warm = args.warmOne();
        boolean kernelIoctls = b.description().startsWith("kernel");
        long mapRequest = VfioIoctl.VFIO_IOMMU_MAP_DMA.request(Arch.host());
        long unmapRequest = VfioIoctl.VFIO_IOMMU_UNMAP_DMA.request(Arch.host());
        MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
        long timer = MapBench.report("gap_timer", timer(reps, warm), reps, warm, err);
        long noop = MapBench.report("gap_noop_downcalls", noopDowncalls(map, reps, warm), reps, warm, err);
        long noCapture = kernelIoctls
                ? MapBench.report("gap_no_capture", noCapture(container, map, unmap, mapRequest, unmapRequest, reps, warm),
                        reps, warm, err)
                : -1;
        long caller = MapBench.report("gap_caller_buffer", callerBuffer(b, container, map, unmap, errno, reps, warm), reps,
                warm, err);
        long seam = MapBench.report("gap_seam", MapBench.seamPairs(b, container, map, unmap, reps, warm), reps, warm, err);
        out.println("mapbench gap_timer median_ns=" + timer);
        out.println("mapbench gap_noop_downcalls median_ns=" + noop);
        if (kernelIoctls) {
            out.println("mapbench gap_no_capture median_ns=" + noCapture);
        } else {
            err.println("# gap_no_capture: skipped (not the kernel backend: no ioctl to call)");
        }
        out.println("mapbench gap_caller_buffer median_ns=" + caller);
        out.println("mapbench gap_seam median_ns=" + seam);
        out.flush();
    }

    private static long[] timer(int reps, int warmup) {
        long[] t = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            long t0 = System.nanoTime();
            long dt = System.nanoTime() - t0;
            if (i >= 0) {
                t[i] = dt;
            }
        }
        return t;
    }

    private static long[] noopDowncalls(MemorySegment arg, int reps, int warmup) {
        long[] t = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            int r;
            long t0 = System.nanoTime();
            try {
                r = (int) DowncallBench.PLAIN.invokeExact(i, 0L, arg) + (int) DowncallBench.PLAIN.invokeExact(-i, 0L, arg);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
            long dt = System.nanoTime() - t0;
            if (r != 2 * Math.abs(i)) {
                throw new IllegalStateException("abs(" + i + ") twice returned " + r);
            }
            if (i >= 0) {
                t[i] = dt;
            }
        }
        return t;
    }

    private static long[] noCapture(int container, MemorySegment map, MemorySegment unmap, long mapRequest,
            long unmapRequest, int reps, int warmup) {
        long[] t = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            int r1;
            int r2;
            long t0 = System.nanoTime();
            try {
                r1 = (int) IOCTL_NO_CAPTURE.invokeExact(container, mapRequest, map);
                r2 = (int) IOCTL_NO_CAPTURE.invokeExact(container, unmapRequest, unmap);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
            long dt = System.nanoTime() - t0;
            check(r1, r2);
            if (i >= 0) {
                t[i] = dt;
            }
        }
        return t;
    }

    private static long[] callerBuffer(VfioBackend b, int container, MemorySegment map, MemorySegment unmap,
            MemorySegment errno, int reps, int warmup) {
        long[] t = new long[reps];
        for (int i = -warmup; i < reps; i++) {
            long t0 = System.nanoTime();
            long r1 = b.iommuMapDma(container, map, errno);
            long r2 = b.iommuUnmapDma(container, unmap, errno);
            long dt = System.nanoTime() - t0;
            check(r1, r2);
            if (i >= 0) {
                t[i] = dt;
            }
        }
        return t;
    }

    private static void check(long r1, long r2) {
        if (r1 != 0 || r2 != 0) {
            throw new IllegalStateException((r1 != 0 ? "VFIO_IOMMU_MAP_DMA" : "VFIO_IOMMU_UNMAP_DMA") + " returned "
                    + (r1 != 0 ? r1 : r2));
        }
    }
}
