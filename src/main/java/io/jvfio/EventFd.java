package io.jvfio;

import io.jvfio.backend.Errno;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * An eventfd a device signals its interrupts on ({@link Device#setIrqEventfd}).
 *
 * <p>Thread-safe: {@link #close()} from any thread; a concurrent {@link #await} then ends with
 * {@link IllegalStateException} or its result, never on another object's fd.
 */
public final class EventFd implements AutoCloseable {
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
     * Waits until the device signals, at most {@code timeout}, and returns how many signals arrived
     * since the last read; 0 when the time ran out. The eventfd is non-blocking, so a device that
     * never interrupts cannot hang the caller.
     *
     * @param timeout how long to wait at most; zero or negative polls once
     * @return the number of signals, or 0 on timeout
     * @throws VfioException if reading the eventfd failed
     * @throws IllegalStateException if the eventfd (or its {@link Vfio}) is closed
     * @throws NullPointerException if {@code timeout} is null
     */
    public long await(Duration timeout) throws VfioException {
        long deadline = System.nanoTime() + Objects.requireNonNull(timeout, "timeout").toNanos();
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            while (true) {
                long r = backend.read(f, v);
                if (r == 8) {
                    return v.get(ValueLayout.JAVA_LONG, 0);
                }
                if (r != -Errno.EAGAIN) {
                    throw Errors.system("read(eventfd)", (int) -r, "the eventfd was closed or interrupted");
                }
                if (System.nanoTime() > deadline) {
                    return 0;
                }
                LockSupport.parkNanos(50_000);
            }
        } finally {
            fd.release();
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
