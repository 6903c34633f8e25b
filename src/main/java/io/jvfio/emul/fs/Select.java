package io.jvfio.emul.fs;

import static io.jvfio.abi.VfioUapi.POLLERR;
import static io.jvfio.abi.VfioUapi.POLLHUP;
import static io.jvfio.abi.VfioUapi.POLLNVAL;

import io.jvfio.abi.pollfd;
import io.jvfio.backend.Errno;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;
import java.util.function.ToIntFunction;

/**
 * poll(2) as fs/select.c (Linux 6.12) does it: {@code do_sys_poll} checks nfds against RLIMIT_NOFILE
 * (EINVAL) and copies the array in (EFAULT); {@code do_poll} makes passes over the entries, each
 * {@code do_pollfd} answering POLLNVAL for an fd that is not open, nothing for a negative fd, else
 * the file's {@code poll} masked by the requested events plus POLLERR|POLLHUP. The first pass queues
 * the poller on every file's wait queue (until an entry is ready); when nothing is ready it sleeps
 * until a file wakes it or the timeout ends, then passes again. A pending interrupt (the kernel's
 * signal) ends a pass that found nothing with EINTR. revents are copied back in every case.
 *
 * <p>As in the kernel, closing a polled fd does not wake the poller (the poll holds the file); the
 * next pass, after a wake-up or the timeout, reports it POLLNVAL.
 */
public final class Select {
    private Select() {}

    /** The platform's side: runs one pass on its fd table under the platform lock. */
    @FunctionalInterface
    public interface Files {
        /** Runs {@code pass} on the fd table with the platform lock held; its result. */
        int locked(ToIntFunction<FdTable> pass);
    }

    /**
     * poll(2) on the emulated process's files.
     *
     * @param ufds the caller's {@code struct pollfd} array
     * @param nfds its length ({@code nfds_t}, unsigned: a negative value is above any limit)
     * @param timeoutMs negative: no limit; 0: one pass
     * @param files runs a pass on the fd table under the platform lock, the sleeps happen outside it
     * @return the number of entries with a non-zero revents, 0 on timeout, or -errno
     */
    public static int poll(MemorySegment ufds, int nfds, int timeoutMs, Files files) {
        if (nfds < 0 || nfds > FdTable.NOFILE) {
            return -Errno.EINVAL;
        }
        if (nfds > 0 && !UserCopy.ok(ufds, nfds * pollfd.SIZE)) {
            return -Errno.EFAULT;
        }
        int[] fds = new int[nfds];
        int[] events = new int[nfds];
        int[] revents = new int[nfds];
        for (int i = 0; i < nfds; i++) {
            MemorySegment e = ufds.asSlice(i * pollfd.SIZE, pollfd.SIZE);
            fds[i] = pollfd.fd.get(e);
            events[i] = pollfd.events.get(e);
        }
        boolean forever = timeoutMs < 0;
        long deadline = System.nanoTime() + Math.max(timeoutMs, 0) * 1_000_000L;
        PollTable table = new PollTable();
        int count;
        try {
            boolean timedOut = timeoutMs == 0;
            PollTable qproc = timedOut ? null : table;
            while (true) {
                PollTable pass = qproc;
                count = files.locked(t -> doPass(t, fds, events, revents, pass));
                qproc = null; // only the first pass queues
                if (count == 0 && Thread.currentThread().isInterrupted()) {
                    count = -Errno.EINTR;
                }
                if (count != 0 || timedOut) {
                    break;
                }
                try {
                    timedOut = !table.sleep(forever, deadline);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the next pass answers EINTR unless something is ready
                }
            }
        } finally {
            table.dequeue();
            files.locked(t -> {
                table.putFiles();
                return 0;
            });
        }
        for (int i = 0; i < nfds; i++) {
            pollfd.revents.set(ufds.asSlice(i * pollfd.SIZE, pollfd.SIZE), revents[i]);
        }
        return count;
    }

    /** One pass of {@code do_poll}: {@code do_pollfd} per entry; the count of ready entries. */
    private static int doPass(FdTable t, int[] fds, int[] events, int[] revents, PollTable qproc) {
        int count = 0;
        for (int i = 0; i < fds.length; i++) {
            int mask = 0;
            if (fds[i] >= 0) {
                EmuFile f = t.get(fds[i]);
                mask = f == null ? POLLNVAL : f.poll(qproc) & (events[i] | POLLERR | POLLHUP);
            }
            revents[i] = mask;
            if (mask != 0) {
                count++;
                qproc = null; // do_poll stops queueing once an entry is ready
            }
        }
        return count;
    }
}
