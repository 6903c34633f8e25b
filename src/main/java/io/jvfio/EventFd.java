package io.jvfio;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.pollfd;
import io.jvfio.backend.Errno;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;

/**
 * An eventfd a device signals its interrupts on ({@link Device#setIrqEventfd}).
 *
 * <p>Thread-safe: {@link #close()} from any thread; a concurrent {@link #await} then ends with
 * {@link IllegalStateException} or its result, never on another object's fd. {@link #await} sleeps in
 * poll(2), so a waiting thread costs nothing until the device signals.
 */
public final class EventFd implements AutoCloseable {
    /** The longest single poll(2) of {@link #await}: how late it may notice a close or an interrupt. */
    static final int POLL_SLICE_MS = 100;

    private final Vfio vfio;
    private final VfioBackend backend;
    private final FdHandle fd;

    EventFd(Vfio vfio, FdHandle fd) {
        this.vfio = vfio;
        this.backend = vfio.backend();
        this.fd = fd;
    }

    int acquire() {
        return fd.acquire();
    }

    void release() {
        fd.release();
    }

    /**
     * Adds {@code n} to the count as a device's signal would, to wake this eventfd's own waiter
     * ({@link ReleaseRequests#close()}); never for an eventfd someone else reads.
     *
     * @return write's result: 8, or -errno
     */
    long add(long n) {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            return backend.write(f, a.allocateFrom(ValueLayout.JAVA_LONG, n));
        } finally {
            fd.release();
        }
    }

    /**
     * Waits until the device signals, at most {@code timeout}, and returns how many signals arrived
     * since the last read; 0 when the time ran out. The thread sleeps in poll(2) on the eventfd and
     * wakes when it is signalled; a signal already pending costs one read and no poll. It polls in
     * slices of at most 100 ms, so a {@link #close()} from another thread (which
     * leaves the fd open until this wait lets go of it) ends the wait within one slice with
     * {@link IllegalStateException}, and so does an interrupt of the calling thread: the wait then
     * returns 0 with the interrupt status kept. A poll interrupted by a signal (EINTR) goes on with
     * the time that is left.
     *
     * @param timeout how long to wait at most; zero or negative looks once without blocking
     * @return the number of signals, or 0 on timeout (or when the calling thread is interrupted)
     * @throws VfioException if polling or reading the eventfd failed ({@code poll(eventfd)},
     *     {@code read(eventfd)}, with the errno)
     * @throws IllegalStateException if the eventfd (or its {@link Vfio}) is closed, also while waiting
     * @throws NullPointerException if {@code timeout} is null
     */
    public long await(Duration timeout) throws VfioException {
        long budget = nanos(Objects.requireNonNull(timeout, "timeout"));
        long start = System.nanoTime();
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment pfd = a.allocate(pollfd.LAYOUT);
            pollfd.fill(pfd, 0, f, VfioUapi.POLLIN);
            while (true) {
                long r = backend.read(f, v);
                if (r == 8) {
                    return v.get(ValueLayout.JAVA_LONG, 0);
                }
                if (r != -Errno.EAGAIN) {
                    throw Errors.system("read(eventfd)", (int) -r,
                            "the fd is no longer an open eventfd: was the backend (or the emulated platform) closed under it?");
                }
                long left = budget - (System.nanoTime() - start);
                if (left <= 0 || Thread.currentThread().isInterrupted()) {
                    return 0;
                }
                if (!fd.isOpen()) {
                    throw new IllegalStateException(fd.what() + " was closed while waiting");
                }
                int p = backend.poll(pfd, 1, sliceMillis(left));
                if (p < 0 && p != -Errno.EINTR) {
                    throw Errors.system("poll(eventfd)", -p, switch (-p) {
                        case Errno.ENOMEM -> "the kernel has no memory for the poll table: free some and retry";
                        case Errno.EINVAL -> "RLIMIT_NOFILE is 0: raise it (ulimit -n)";
                        default -> "the eventfd cannot be polled; the backend may have been closed under it";
                    });
                }
                // ready, EINTR or the slice ran out: the read above tells which
            }
        } finally {
            fd.release();
        }
    }

    /** One poll's timeout for {@code left} ns to go: rounded up (no early wake-up), at most a slice. */
    private static int sliceMillis(long left) {
        return left >= POLL_SLICE_MS * 1_000_000L ? POLL_SLICE_MS : (int) ((left + 999_999) / 1_000_000);
    }

    /** {@code timeout} in nanoseconds, 0 when negative, saturated at about 292 years. */
    private static long nanos(Duration timeout) {
        if (timeout.isNegative()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Closes the eventfd. Idempotent. */
    @Override
    public void close() {
        if (fd.close()) {
            vfio.closed(this);
        }
    }
}
