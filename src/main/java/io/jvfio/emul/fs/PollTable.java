package io.jvfio.emul.fs;

import io.jvfio.abi.VfioUapi;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One poll(2) call's wait-queue entries ({@code struct poll_wqueues}, fs/select.c): the files it is
 * queued on, each holding a reference ({@code __pollwait}'s {@code get_file}) until
 * {@link #freeWait}, and the {@code triggered} flag a file's wake-up sets. The poller sleeps on this
 * object's monitor, never on a file's, so a file can wake it while holding its own.
 */
public final class PollTable {
    /** {@code DEFAULT_POLLMASK} (include/linux/poll.h): what {@code vfs_poll} answers for a file without a poll op. */
    public static final int DEFAULT_POLLMASK =
            VfioUapi.POLLIN | VfioUapi.POLLOUT | VfioUapi.POLLRDNORM | VfioUapi.POLLWRNORM;

    /** Files whose wait queue holds this table; touched by the polling thread only. */
    private final List<EventFdFile> queued = new ArrayList<>();
    private boolean triggered;

    /** {@code __pollwait}, under the platform lock and {@code f}'s monitor: the file holds us until {@link #freeWait}. */
    void queue(EventFdFile f) {
        f.get();
        queued.add(f);
    }

    /** {@code pollwake}: a queued file changed. */
    synchronized void wake() {
        triggered = true;
        notifyAll();
    }

    /**
     * {@code poll_schedule_timeout}: sleeps until a queued file wakes this table or {@code deadline}
     * ({@link System#nanoTime()}) passes; {@code forever} ignores the deadline.
     *
     * @return false when the time ran out without a wake-up
     * @throws InterruptedException as a signal would interrupt the kernel's sleep
     */
    synchronized boolean sleep(boolean forever, long deadline) throws InterruptedException {
        while (!triggered) {
            if (forever) {
                wait();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        triggered = false;
        return true;
    }

    /** {@code poll_freewait}'s first half: off every wait queue (no lock needed). */
    void dequeue() {
        for (EventFdFile f : queued) {
            f.removePoller(this);
        }
    }

    /** {@code poll_freewait}'s {@code fput}s, under the platform lock. */
    void putFiles() {
        for (EventFdFile f : queued) {
            f.put();
        }
        queued.clear();
    }
}
