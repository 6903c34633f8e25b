package io.jvfio.toolkit.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * What one FFM downcall costs on this machine, apart from the kernel: the part of the seam's gap to C
 * in {@link MapBench} that is the binding (in the QEMU guest, ppc64le under TCG, where the gap is
 * microseconds). It binds libc's {@code abs} with ioctl's shape {@code int f(int, unsigned long, void *)}
 * and the kernel backend's options (variadic from the third argument, errno captured), and once more
 * without the capture, and times batches of calls of each, interleaved.
 *
 * <p>stdout holds exactly {@code mapbench downcall_capture median_ns=N} and {@code mapbench
 * downcall_plain median_ns=N}: nanoseconds per call, the median over the batches. Usage:
 * {@code DowncallBench [BATCHES [CALLS_PER_BATCH [WARMUP_BATCHES]]]} (default 1001, 100, 300).
 */
public final class DowncallBench {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final FunctionDescriptor IOCTL_SHAPE = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
    // abs(int) reads its first argument only; the others sit in registers it never looks at.
    private static final MemorySegment ABS = LINKER.defaultLookup().find("abs").orElseThrow();
    private static final MethodHandle CAPTURE = LINKER.downcallHandle(ABS, IOCTL_SHAPE,
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    /** abs bound as ioctl without errno capture; {@link SeamGap} times two of it as the no-kernel downcalls. */
    static final MethodHandle PLAIN = LINKER.downcallHandle(ABS, IOCTL_SHAPE, Linker.Option.firstVariadicArg(2));

    private DowncallBench() {}

    static long capture(MemorySegment errno, MemorySegment arg, int calls) throws Throwable {
        long s = 0;
        for (int i = 0; i < calls; i++) {
            s += (int) CAPTURE.invokeExact(errno, -i, 0x541BL, arg);
        }
        return s;
    }

    static long plain(MemorySegment arg, int calls) throws Throwable {
        long s = 0;
        for (int i = 0; i < calls; i++) {
            s += (int) PLAIN.invokeExact(-i, 0x541BL, arg);
        }
        return s;
    }

    public static void main(String[] argv) throws Throwable {
        int batches = argv.length > 0 ? Integer.parseInt(argv[0]) : 1001;
        int calls = argv.length > 1 ? Integer.parseInt(argv[1]) : 100;
        int warmup = argv.length > 2 ? Integer.parseInt(argv[2]) : 300;
        Arena arena = Arena.ofAuto();
        MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
        MemorySegment arg = arena.allocate(ValueLayout.JAVA_INT);
        double[] withCapture = new double[batches];
        double[] without = new double[batches];
        long sum = 0;
        for (int b = -warmup; b < batches; b++) {
            long t0 = System.nanoTime();
            sum += capture(errno, arg, calls);
            long t1 = System.nanoTime();
            sum += plain(arg, calls);
            long t2 = System.nanoTime();
            if (b >= 0) {
                withCapture[b] = (double) (t1 - t0) / calls;
                without[b] = (double) (t2 - t1) / calls;
            }
        }
        long expected = 2L * (warmup + batches) * ((long) calls * (calls - 1) / 2);
        if (sum != expected) {
            throw new IllegalStateException("abs returned " + sum + " in total, expected " + expected);
        }
        System.out.println("mapbench downcall_capture median_ns=" + Math.round(median(withCapture)));
        System.out.println("mapbench downcall_plain median_ns=" + Math.round(median(without)));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(s.length - 1) / 2];
    }
}
