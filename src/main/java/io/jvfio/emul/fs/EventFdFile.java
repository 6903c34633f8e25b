package io.jvfio.emul.fs;

import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * An eventfd (fs/eventfd.c): a 64-bit counter. write adds, read returns the count and zeroes it
 * (or returns 1 and decrements with EFD_SEMAPHORE), blocking while it is 0 unless EFD_NONBLOCK.
 * Its own monitor guards the counter, so a blocked reader never holds the platform lock and the
 * device can signal while someone waits. Every change wakes the readers and writers blocked on the
 * monitor and the poll(2) callers queued on it ({@code ctx->wqh}).
 */
public final class EventFdFile extends EmuFile {
    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_NONBLOCK = 04000;
    public static final int EFD_CLOEXEC = 02000000;
    private static final long ULLONG_MAX = -1L;
    /** {@link #tryWrite} result: a blocking write must wait for room. */
    public static final long WOULD_BLOCK = Long.MIN_VALUE;

    private final boolean semaphore;
    private final boolean nonblock;
    private long count;
    private boolean shutdown;
    private long signals;
    /** poll(2) callers queued on this eventfd's wait queue; guarded by this. */
    private final List<PollTable> pollers = new ArrayList<>();
    /** virqfd-style listeners run after a write (e.g. INTx unmask by eventfd), under the platform lock. */
    private final List<Runnable> onWrite = new ArrayList<>();

    public EventFdFile(long initval, int flags) {
        this.count = initval;
        this.semaphore = (flags & EFD_SEMAPHORE) != 0;
        this.nonblock = (flags & EFD_NONBLOCK) != 0;
    }

    @Override
    public String kind() {
        return "eventfd";
    }

    @Override
    protected void release() {
        // readers blocked in read() hold the file in the kernel; nothing to do
    }

    /** {@code eventfd_signal}: add 1 (saturating) and wake readers. */
    public synchronized void signal() {
        if (count != ULLONG_MAX) {
            count++;
        }
        signals++;
        wakeUp();
    }

    /** How many times a device signalled this eventfd (for inspection). */
    public synchronized long signals() {
        return signals;
    }

    /** The current counter, without consuming it. */
    public synchronized long peek() {
        return count;
    }

    /** Consumes the counter without blocking (what a virqfd does on wake-up). */
    public synchronized long drain() {
        long c = count;
        count = 0;
        wakeUp();
        return c;
    }

    /** The platform shut down: wake every blocked reader and writer with EBADF. */
    public synchronized void shutdown() {
        shutdown = true;
        wakeUp();
    }

    /** {@code wake_up} of the wait queue: blocked readers and writers, and pollers. Holding this. */
    private void wakeUp() {
        notifyAll();
        for (PollTable p : pollers) {
            p.wake();
        }
    }

    /**
     * {@code eventfd_poll}: POLLIN while the count is above 0, POLLERR when it is at ULLONG_MAX,
     * POLLOUT while a write of 1 would not block. Queues {@code table} (when not null) first, as
     * {@code poll_wait} does, so that a signal between this look and the poller's sleep still wakes it.
     */
    @Override
    public synchronized int poll(PollTable table) {
        if (table != null) {
            table.queue(this);
            pollers.add(table);
        }
        int events = 0;
        if (count != 0) {
            events |= VfioUapi.POLLIN;
        }
        if (count == ULLONG_MAX) {
            events |= VfioUapi.POLLERR;
        }
        if (Long.compareUnsigned(ULLONG_MAX - 1, count) > 0) {
            events |= VfioUapi.POLLOUT;
        }
        return events;
    }

    synchronized void removePoller(PollTable table) {
        pollers.remove(table);
    }

    public void addWriteListener(Runnable r) {
        onWrite.add(r);
    }

    public void removeWriteListener(Runnable r) {
        onWrite.remove(r);
    }

    public List<Runnable> writeListeners() {
        return List.copyOf(onWrite);
    }

    /** read(2): 8 bytes or -errno. Blocks outside the platform lock. */
    public long read(MemorySegment dst) {
        if (dst.byteSize() < 8) {
            return -Errno.EINVAL;
        }
        long v;
        synchronized (this) {
            while (count == 0) {
                if (shutdown) {
                    return -Errno.EBADF;
                }
                if (nonblock) {
                    return -Errno.EAGAIN;
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -Errno.EINTR;
                }
            }
            if (semaphore) {
                v = 1;
                count--;
            } else {
                v = count;
                count = 0;
            }
            wakeUp();
        }
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        return 8;
    }

    /**
     * write(2) of the counter part: 8, -errno, or {@link #WOULD_BLOCK} when a blocking write must
     * wait (the caller then waits with {@link #awaitRoom} outside the platform lock and retries).
     */
    public synchronized long tryWrite(long v) {
        if (v == ULLONG_MAX) {
            return -Errno.EINVAL;
        }
        if (shutdown) {
            return -Errno.EBADF;
        }
        if (Long.compareUnsigned(ULLONG_MAX - count, v) > 0) {
            count += v;
            if (count != 0) {
                wakeUp();
            }
            return 8;
        }
        return nonblock ? -Errno.EAGAIN : WOULD_BLOCK;
    }

    /** Waits until {@code v} fits; -EINTR/-EBADF or 0. */
    public synchronized long awaitRoom(long v) {
        while (Long.compareUnsigned(ULLONG_MAX - count, v) <= 0) {
            if (shutdown) {
                return -Errno.EBADF;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -Errno.EINTR;
            }
        }
        return 0;
    }

    public boolean nonblock() {
        return nonblock;
    }
}
