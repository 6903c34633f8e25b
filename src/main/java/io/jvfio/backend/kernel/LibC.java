package io.jvfio.backend.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc downcalls, and nothing else: one static final handle per function (constants to the
 * JIT), errno captured by the linker. Every method returns the C result, or {@code -errno} when the
 * call failed, and allocates nothing: the errno capture buffer is per thread.
 *
 * <p>ioctl and open are variadic in C. They are bound as such ({@code firstVariadicArg}): on
 * ppc64le's ELFv2 ABI a variadic call needs a parameter save area a plain call does not set up.
 *
 * <p>Cost (docs/benchmarks.md measures it): the downcall with errno capture, plus one
 * {@code ThreadLocal} lookup for the capture buffer. A hot path that owns a thread-confined buffer
 * can skip the lookup with {@link #ioctl(MemorySegment, int, long, MemorySegment)}. The handles are
 * not {@code Linker.Option.critical}: ioctl can block, and a critical call would hold off every
 * safepoint (so every GC) for as long as it blocks.
 */
public final class LibC {
    private LibC() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final FunctionDescriptor IOCTL_PTR_DESCRIPTOR =
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
    private static final MethodHandle IOCTL_PTR = downcall("ioctl", IOCTL_PTR_DESCRIPTOR,
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = downcall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle OPEN = downcall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PREAD = downcall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = downcall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle EVENTFD = downcall("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle POLL = downcall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PIPE = downcall("pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SYSCONF = LINKER.downcallHandle(
            LIBC.find("sysconf").orElseThrow(), FunctionDescriptor.of(JAVA_LONG, JAVA_INT));

    /** A thread's errno buffer, allocated once: no allocation per call. */
    private static final class ThreadBuffer {
        final Thread owner;
        final MemorySegment buffer;
        /** Calls that missed {@link #lastBuffer}; read and written by the owner only. */
        int misses;

        ThreadBuffer(Thread owner, MemorySegment buffer) {
            this.owner = owner;
            this.buffer = buffer;
        }
    }

    private static final ThreadLocal<ThreadBuffer> THREAD_BUFFERS =
            ThreadLocal.withInitial(() -> new ThreadBuffer(Thread.currentThread(), Arena.ofAuto().allocate(CAPTURE)));
    /**
     * The buffer of the thread that calls most, so that it skips {@code ThreadLocal.get()}: in the TCG
     * guest that lookup cost ~0.4 us per call, as much as the errno capture ({@code make bench-guest},
     * "the seam's gap measured step by step"); on x86 under Intel's code generation it puts the no-op
     * path above JNR's. Racy on purpose: the fields read through it are final, so a thread sees a whole
     * one, and one that is not its own sends it to the ThreadLocal. Another thread takes the slot only
     * after {@value #CLAIM_AFTER} misses, so threads that alternate write this shared field once per
     * {@value #CLAIM_AFTER} calls each, not on every call.
     */
    private static ThreadBuffer lastBuffer;
    private static final int CLAIM_AFTER = 64;

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), fd, options);
    }

    private static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** Maps a failed call to {@code -errno}: the pattern of every wrapper below. */
    private static long result(long r, MemorySegment capture) {
        return r == -1 ? -errno(capture) : r;
    }

    /** The calling thread's errno capture buffer (the one every method here uses). */
    public static MemorySegment errnoBuffer() {
        ThreadBuffer last = lastBuffer;
        if (last != null && last.owner == Thread.currentThread()) {
            return last.buffer;
        }
        ThreadBuffer b = THREAD_BUFFERS.get();
        if (last == null || ++b.misses >= CLAIM_AFTER) {
            b.misses = 0;
            lastBuffer = b;
        }
        return b.buffer;
    }

    /**
     * A new errno capture buffer ({@code Linker.Option.captureStateLayout()}) in {@code arena}, for
     * {@link #ioctl(MemorySegment, int, long, MemorySegment)}. Use it from one thread at a time.
     */
    public static MemorySegment allocateErrnoBuffer(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    public static int ioctl(int fd, long request, MemorySegment arg) {
        return ioctlVia(IOCTL_PTR, errnoBuffer(), fd, request, arg);
    }

    /**
     * ioctl with a caller-provided errno buffer: the same call without the per-thread lookup, for hot
     * paths that already hold a buffer confined to their thread ({@link #allocateErrnoBuffer} or
     * {@link #errnoBuffer()}). Two threads must never share one buffer: errno would cross over.
     */
    public static int ioctl(MemorySegment errnoBuffer, int fd, long request, MemorySegment arg) {
        return ioctlVia(IOCTL_PTR, errnoBuffer, fd, request, arg);
    }

    /**
     * Binds {@code function}, a C function of ioctl's shape {@code int f(int, unsigned long, void *)},
     * exactly as {@link #ioctl(int, long, MemorySegment)} binds libc's ioctl (variadic from the third
     * argument, errno captured). For the errno test and the binding-cost benchmark, which call a no-op
     * through {@link #callLikeIoctl}: the same code path as ioctl without the kernel.
     */
    public static MethodHandle bindLikeIoctl(MemorySegment function) {
        return LINKER.downcallHandle(function, IOCTL_PTR_DESCRIPTOR, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    }

    /**
     * Calls a handle from {@link #bindLikeIoctl} through the code of {@link #ioctl(int, long,
     * MemorySegment)}: the result, or {@code -errno}. Keep the handle in a {@code static final} field,
     * as LibC does, so the JIT sees a constant.
     */
    public static int callLikeIoctl(MethodHandle ioctlShaped, int fd, long request, MemorySegment arg) {
        return ioctlVia(ioctlShaped, errnoBuffer(), fd, request, arg);
    }

    /** {@link #callLikeIoctl} with a caller-provided errno buffer, as in {@link #ioctl(MemorySegment, int, long, MemorySegment)}. */
    public static int callLikeIoctl(MethodHandle ioctlShaped, MemorySegment errnoBuffer, int fd, long request,
            MemorySegment arg) {
        return ioctlVia(ioctlShaped, errnoBuffer, fd, request, arg);
    }

    /** The one ioctl call path: inlined into each caller, where {@code h} is a constant. */
    private static int ioctlVia(MethodHandle h, MemorySegment c, int fd, long request, MemorySegment arg) {
        try {
            int r = (int) h.invokeExact(c, fd, request, arg);
            return r == -1 ? -errno(c) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int ioctl(int fd, long request, long arg) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) IOCTL_LONG.invokeExact(c, fd, request, arg), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int open(MemorySegment path, int flags) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) OPEN.invokeExact(c, path, flags, 0), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) CLOSE.invokeExact(c, fd), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long pread(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment c = errnoBuffer();
        try {
            return result((long) PREAD.invokeExact(c, fd, buf, count, offset), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long pwrite(int fd, MemorySegment buf, long count, long offset) {
        MemorySegment c = errnoBuffer();
        try {
            return result((long) PWRITE.invokeExact(c, fd, buf, count, offset), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long read(int fd, MemorySegment buf, long count) {
        MemorySegment c = errnoBuffer();
        try {
            return result((long) READ.invokeExact(c, fd, buf, count), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long count) {
        MemorySegment c = errnoBuffer();
        try {
            return result((long) WRITE.invokeExact(c, fd, buf, count), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mmap; the address, or {@code -errno} (MAP_FAILED is -1, never a valid mapping). */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment c = errnoBuffer();
        try {
            return result((long) MMAP.invokeExact(c, addr, length, prot, flags, fd, offset), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int munmap(long addr, long length) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) MUNMAP.invokeExact(c, addr, length), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(int initval, int flags) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) EVENTFD.invokeExact(c, initval, flags), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(fds, nfds, timeout); {@code nfds} is C's {@code nfds_t} (unsigned long). Blocks: not a critical call. */
    public static int poll(MemorySegment fds, long nfds, int timeoutMs) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) POLL.invokeExact(c, fds, nfds, timeoutMs), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pipe(fds): fills two ints. For tests and the benchmark (FIONREAD on a pipe). */
    public static int pipe(MemorySegment fds) {
        MemorySegment c = errnoBuffer();
        try {
            return (int) result((int) PIPE.invokeExact(c, fds), c);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long pageSize() {
        try {
            return (long) SYSCONF.invokeExact(LinuxUapi.SC_PAGESIZE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
