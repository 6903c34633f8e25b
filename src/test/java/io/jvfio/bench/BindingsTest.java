package io.jvfio.bench;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvfio.backend.kernel.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The benchmarked paths are correct, so the benchmark compares equal work: every binding returns the
 * same result and the same errno. Not timed (timings belong to the JMH run, side by side).
 */
class BindingsTest {
    private static final int ENOTTY = 25;
    private static final int EBADF = 9;

    private static void needNoopLibrary() {
        if (!Native.noopLibraryPresent()) {
            String why = Native.noopLibrary() + " is missing: run `make native-bench`";
            if (Boolean.getBoolean("jvfio.abi.required")) {
                fail(why + " (jvfio.abi.required=true)");
            }
            Assumptions.abort(why);
        }
    }

    private static NoopBench.Args noopArgs() {
        NoopBench.Args a = new NoopBench.Args();
        a.setup();
        return a;
    }

    @Test
    void errnoStaysExactThroughJvfiosPath() throws Throwable {
        needNoopLibrary();
        NoopBench.Args a = noopArgs();
        NoopBench.Target t = NoopBench.Target.ERRNO;
        assertAll(
                () -> assertEquals(-ENOTTY, NoopBench.jvfio(t, a), "LibC.callLikeIoctl (per-thread buffer)"),
                () -> assertEquals(-ENOTTY, NoopBench.jvfioCallerBuffer(t, a), "LibC.callLikeIoctl (caller buffer)"),
                () -> assertEquals(-ENOTTY, LibC.callLikeIoctl(LibC.bindLikeIoctl(Native.noopSymbol("jvfio_noop_errno")),
                        -1, 0L, MemorySegment.NULL), "a fresh bindLikeIoctl handle"),
                () -> assertEquals(-ENOTTY, NoopBench.ffmNaiveArena(t, a), "naive FFM"),
                () -> assertEquals(-ENOTTY, NoopBench.ffmCritical(t, a), "critical FFM with capture"),
                () -> assertEquals(-1, NoopBench.ffmNoCapture(t, a), "FFM without capture: -1, errno lost"),
                () -> assertEquals(-ENOTTY, NoopBench.jnr(t, a), "JNR @SaveError"));
    }

    @Test
    void errnoIsNotStaleAfterASuccess() throws Throwable {
        needNoopLibrary();
        NoopBench.Args a = noopArgs();
        assertEquals(-ENOTTY, NoopBench.jvfio(NoopBench.Target.ERRNO, a));
        assertAll(
                () -> assertEquals(0, NoopBench.jvfio(NoopBench.Target.NOOP, a)),
                () -> assertEquals(0, NoopBench.jvfioCallerBuffer(NoopBench.Target.NOOP, a)),
                () -> assertEquals(0, NoopBench.ffmNaiveArena(NoopBench.Target.NOOP, a)),
                () -> assertEquals(0, NoopBench.ffmCritical(NoopBench.Target.NOOP, a)),
                () -> assertEquals(0, NoopBench.ffmNoCapture(NoopBench.Target.NOOP, a)),
                () -> assertEquals(0, NoopBench.jnr(NoopBench.Target.NOOP, a)));
    }

    @Test
    void everyIoctlPathReadsThePipeAndReportsEbadf() throws Throwable {
        IoctlBench b = new IoctlBench();
        IoctlBench.Pipe p = new IoctlBench.Pipe();
        p.open();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment three = arena.allocate(3);
            assertEquals(3, LibC.write(p.writeFd, three, 3));
            assertAll(
                    () -> assertFionread(3, b.jvfioSeam(p), p, "seam"),
                    () -> assertFionread(3, b.jvfioSeamCallerBuffer(p), p, "seam caller buffer"),
                    () -> assertFionread(3, b.jvfioLibC(p), p, "LibC"),
                    () -> assertFionread(3, b.jvfioLibCCallerBuffer(p), p, "LibC caller buffer"),
                    () -> assertFionread(3, b.ffmNaiveArena(p), p, "naive FFM"),
                    () -> assertFionread(3, b.ffmNoCapture(p), p, "FFM without capture"),
                    () -> assertFionread(3, b.jnr(p), p, "JNR"));
        } finally {
            p.close();
        }
        // Closed fds: EBADF through every path that keeps errno.
        assertAll(
                () -> assertEquals(-EBADF, b.jvfioSeam(p), "seam"),
                () -> assertEquals(-EBADF, b.jvfioSeamCallerBuffer(p), "seam caller buffer"),
                () -> assertEquals(-EBADF, b.jvfioLibC(p), "LibC"),
                () -> assertEquals(-EBADF, b.jvfioLibCCallerBuffer(p), "LibC caller buffer"),
                () -> assertEquals(-EBADF, b.ffmNaiveArena(p), "naive FFM"),
                () -> assertEquals(-1, b.ffmNoCapture(p), "FFM without capture"),
                () -> assertEquals(-EBADF, b.jnr(p), "JNR"));
    }

    private static void assertFionread(int expected, long result, IoctlBench.Pipe p, String path) {
        assertEquals(0, result, path + ": ioctl result");
        assertEquals(expected, p.n.get(ValueLayout.JAVA_INT, 0), path + ": FIONREAD count");
        p.n.set(ValueLayout.JAVA_INT, 0, -1);
    }
}
