package io.jvfio.bench;

import io.jvfio.backend.kernel.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Pointer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ioctl call shape into {@code jvfio_noop} of libjvfionoop.so: what each binding itself costs,
 * without the kernel. The C loop ({@code noop_bench}, a call through a function pointer) runs from
 * scripts/bench.sh in the same run.
 *
 * <p>Every method does the same work: the call, and {@code -errno} when it returned -1.
 * {@link Target#ERRNO} binds {@code jvfio_noop_errno} (errno 25, returns -1) the same way;
 * {@link BindingsTest} checks that every path returns -25 through it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 8, time = 1)
public class NoopBench {

    /**
     * One C function bound every way. A record in a static final field: the JIT trusts record
     * fields, so each handle is as constant as LibC's own static finals.
     *
     * @param jvfio {@link LibC#bindLikeIoctl}: exactly LibC's ioctl binding (variadic, errno captured)
     * @param noCapture the same without errno capture
     * @param critical {@code Linker.Option.critical(false)} with errno capture: no thread-state
     *     transition. Measured here only, to show what the transition costs; never for ioctl, which can
     *     block and would then hold off every safepoint
     * @param jnr jnr-ffi with {@code @SaveError}
     */
    record Target(MethodHandle jvfio, MethodHandle noCapture, MethodHandle critical, Native.JnrIoctlShaped jnr) {
        static Target bind(String symbol) {
            MemorySegment fn = Native.noopSymbol(symbol);
            return new Target(LibC.bindLikeIoctl(fn), Native.bind(fn),
                    Native.bind(fn, Linker.Option.captureCallState("errno"), Linker.Option.critical(false)),
                    Native.jnrNoop(symbol));
        }

        static final Target NOOP = bind("jvfio_noop");
        static final Target ERRNO = bind("jvfio_noop_errno");
    }

    @State(Scope.Thread)
    public static class Args {
        public final int fd = 3;
        public final long request = Native.FIONREAD;
        public MemorySegment arg;
        public MemorySegment errnoBuffer;
        public Pointer jnrArg;

        @Setup(Level.Trial)
        public void setup() {
            Arena arena = Arena.ofAuto();
            arg = arena.allocate(ValueLayout.JAVA_INT);
            errnoBuffer = LibC.allocateErrnoBuffer(arena);
            jnrArg = Native.jnrPointer(Target.NOOP.jnr(), arg);
        }
    }

    // The paths, each a static method of (target, args) so that the test runs exactly what is timed.

    static int jvfio(Target t, Args a) {
        return LibC.callLikeIoctl(t.jvfio(), a.fd, a.request, a.arg);
    }

    static int jvfioCallerBuffer(Target t, Args a) {
        return LibC.callLikeIoctl(t.jvfio(), a.errnoBuffer, a.fd, a.request, a.arg);
    }

    static int ffmNaiveArena(Target t, Args a) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Linker.Option.captureStateLayout());
            // The plain capturing binding (the same options as jvfio's), its own capture segment.
            int r = (int) t.jvfio().invokeExact(capture, a.fd, a.request, a.arg);
            return r == -1 ? -(int) Native.ERRNO.get(capture, 0L) : r;
        }
    }

    static int ffmCritical(Target t, Args a) throws Throwable {
        MemorySegment capture = a.errnoBuffer;
        int r = (int) t.critical().invokeExact(capture, a.fd, a.request, a.arg);
        return r == -1 ? -(int) Native.ERRNO.get(capture, 0L) : r;
    }

    /** No capture: returns the raw -1 on failure, errno is gone. */
    static int ffmNoCapture(Target t, Args a) throws Throwable {
        return (int) t.noCapture().invokeExact(a.fd, a.request, a.arg);
    }

    static int jnr(Target t, Args a) {
        return Native.jnrResult(t.jnr(), t.jnr().call(a.fd, a.request, a.jnrArg));
    }

    /** No call at all: the JMH harness's own cost per operation (loop, result consumed), for reading the rows. */
    @Benchmark
    public int harnessFloor(Args a) {
        return a.fd;
    }

    /** jvfio's path: LibC.callLikeIoctl, the code of LibC.ioctl (per-thread errno buffer). */
    @Benchmark
    public int jvfioLibC(Args a) {
        return jvfio(Target.NOOP, a);
    }

    /** jvfio's path with a caller-held errno buffer. */
    @Benchmark
    public int jvfioLibCCallerBuffer(Args a) {
        return jvfioCallerBuffer(Target.NOOP, a);
    }

    /** Naive FFM: a fresh confined arena per call for the capture state. */
    @Benchmark
    public int ffmNaiveArena(Args a) throws Throwable {
        return ffmNaiveArena(Target.NOOP, a);
    }

    /** FFM without errno capture. */
    @Benchmark
    public int ffmNoCapture(Args a) throws Throwable {
        return ffmNoCapture(Target.NOOP, a);
    }

    /** FFM, errno captured, critical(false): no Java-to-native thread transition. */
    @Benchmark
    public int ffmCriticalCapture(Args a) throws Throwable {
        return ffmCritical(Target.NOOP, a);
    }

    /** JNR with @SaveError. */
    @Benchmark
    public int jnr(Args a) {
        return jnr(Target.NOOP, a);
    }
}
