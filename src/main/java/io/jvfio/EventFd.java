package io.jvfio;

import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An eventfd a device signals its interrupts on ({@link Device#setIrqEventfd}). */
public final class EventFd implements AutoCloseable {
    private final VfioBackend backend;
    private final FdHandle fd;

    EventFd(VfioBackend backend, FdHandle fd) {
        this.backend = backend;
        this.fd = fd;
    }

    int acquire() {
        return fd.acquire();
    }

    void release() {
        fd.release();
    }

    /** Blocks until the device signals, and returns how many signals arrived since the last read. */
    public long await() throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            long r = backend.read(f, v);
            if (r < 0) {
                throw Errors.system("read(eventfd)", (int) -r, "the eventfd was closed or interrupted");
            }
            return v.get(ValueLayout.JAVA_LONG, 0);
        } finally {
            fd.release();
        }
    }

    @Override
    public void close() {
        fd.close();
    }
}
