package io.jvfio.bench;

import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ioctl round trip, {@code ioctl(pipe_fd, FIONREAD, &n)}, through every binding. The C loops
 * ({@code fionread_bench single|thread}) run from scripts/bench.sh in the same run; the report
 * divides each result here by the C loop with a second thread (a JVM is never single-threaded, and
 * the kernel's fdget() is cheaper in a single-threaded process).
 *
 * <p>Each method returns the call's result or {@code -errno}, so every binding does the same work:
 * the call, and errno when it failed ({@link BindingsTest} checks that they agree, EBADF included).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 8, time = 1)
public class IoctlBench {

    /** Bound once, static final: what jvfio does (LibC) and what the other rows compare it with. */
    static final MethodHandle IOCTL_CAPTURE =
            Native.bind(Native.libcSymbol("ioctl"), Linker.Option.captureCallState("errno"));
    static final MethodHandle IOCTL_NO_CAPTURE = Native.bind(Native.libcSymbol("ioctl"));
    static final Native.JnrIoctlShaped JNR = Native.jnrLibc("ioctl");

    @State(Scope.Thread)
    public static class Pipe {
        public int fd;
        int writeFd;
        public final long request = Native.FIONREAD;
        /** The int FIONREAD writes; native, never freed during the run. */
        public MemorySegment n;
        public MemorySegment errnoBuffer;
        public Pointer jnrN;
        public VfioBackend seam;

        @Setup(Level.Trial)
        public void open() {
            Arena arena = Arena.ofAuto();
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = LibC.pipe(fds);
            if (r != 0) {
                throw new IllegalStateException("pipe: " + r);
            }
            fd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            writeFd = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            n = arena.allocate(ValueLayout.JAVA_INT);
            errnoBuffer = LibC.allocateErrnoBuffer(arena);
            jnrN = Native.jnrPointer(JNR, n);
            seam = new KernelBackend();
        }

        @TearDown(Level.Trial)
        public void close() {
            LibC.close(fd);
            LibC.close(writeFd);
        }
    }

    /** jvfio through the seam: {@code VfioBackend.ioctl(fd, request, seg)} on the kernel backend. */
    @Benchmark
    public long jvfioSeam(Pipe p) {
        return p.seam.ioctl(p.fd, (int) p.request, p.n);
    }

    /** The seam's overload with the caller's errno buffer, as a {@code DmaMapper} calls MAP/UNMAP. */
    @Benchmark
    public long jvfioSeamCallerBuffer(Pipe p) {
        return p.seam.ioctl(p.fd, (int) p.request, p.n, p.errnoBuffer);
    }

    /** jvfio's LibC directly (per-thread errno buffer, one ThreadLocal lookup). */
    @Benchmark
    public int jvfioLibC(Pipe p) {
        return LibC.ioctl(p.fd, p.request, p.n);
    }

    /** jvfio's LibC with a caller-held errno buffer (no ThreadLocal lookup). */
    @Benchmark
    public int jvfioLibCCallerBuffer(Pipe p) {
        return LibC.ioctl(p.errnoBuffer, p.fd, p.request, p.n);
    }

    /** Naive FFM: errno captured into a fresh confined arena per call, what most code does. */
    @Benchmark
    public int ffmNaiveArena(Pipe p) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = a.allocate(Linker.Option.captureStateLayout());
            int r = (int) IOCTL_CAPTURE.invokeExact(capture, p.fd, p.request, p.n);
            return r == -1 ? -(int) Native.ERRNO.get(capture, 0L) : r;
        }
    }

    /** FFM without errno capture: the floor, and not an option for jvfio (errno would be lost). */
    @Benchmark
    public int ffmNoCapture(Pipe p) throws Throwable {
        return (int) IOCTL_NO_CAPTURE.invokeExact(p.fd, p.request, p.n);
    }

    /** JNR (jnr-ffi 2.3.4 from jnr-posix 3.2.5): {@code @SaveError}, errno from getLastError. */
    @Benchmark
    public int jnr(Pipe p) {
        return Native.jnrResult(JNR, JNR.call(p.fd, p.request, p.jnrN));
    }
}
