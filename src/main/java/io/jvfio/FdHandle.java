package io.jvfio;

import io.jvfio.backend.VfioBackend;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An fd that is safe against close from another thread. Each use brackets the syscall with
 * {@link #acquire()}/{@link #release()}; {@link #close()} marks the handle closed at once and the last
 * user really closes the fd. So no call can ever reach an fd number the kernel has already handed to
 * someone else, and use after close is an exception, not a wrong-file ioctl. Two atomic operations
 * per call, no allocation.
 */
final class FdHandle {
    private static final long CLOSED = 1L << 62;

    private final VfioBackend backend;
    private final int fd;
    private final String what;
    private final AtomicLong state = new AtomicLong();

    FdHandle(VfioBackend backend, int fd, String what) {
        this.backend = backend;
        this.fd = fd;
        this.what = what;
    }

    /** The fd, for one call; pair with {@link #release()} in a finally block. */
    int acquire() {
        long s = state.incrementAndGet();
        if ((s & CLOSED) != 0) {
            release();
            throw new IllegalStateException(what + " is closed");
        }
        return fd;
    }

    void release() {
        long s = state.decrementAndGet();
        if (s == CLOSED) {
            reallyClose();
        }
    }

    boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /** Idempotent. Returns true the first time. */
    boolean close() {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s == 0) {
            reallyClose();
        }
        return true;
    }

    private void reallyClose() {
        if (state.compareAndSet(CLOSED, CLOSED | 1L << 61)) {
            backend.close(fd);
        }
    }

    String what() {
        return what;
    }
}
