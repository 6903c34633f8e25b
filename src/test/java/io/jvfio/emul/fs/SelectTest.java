package io.jvfio.emul.fs;

import static io.jvfio.abi.VfioUapi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.abi.pollfd;
import io.jvfio.backend.Errno;
import io.jvfio.contract.Asleep;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The emulator's poll(2) (fs/select.c) on its own fd table, for what the seam cannot show: the file
 * reference a poller holds, an interrupt as the kernel's signal, the RLIMIT_NOFILE check, POLLERR of
 * a saturated eventfd. The behaviour the kernel shares is pinned against it by PollContractTest.
 */
class SelectTest {
    private final FdTable table = new FdTable();
    private final Object platformLock = new Object();
    private final Select.Files files = pass -> {
        synchronized (platformLock) {
            return pass.applyAsInt(table);
        }
    };

    private int install(EmuFile f) {
        synchronized (platformLock) {
            int fd = table.reserve();
            table.install(fd, f);
            return fd;
        }
    }

    /** A poll of one entry on its own thread, with its own array; completes with {r, revents}. */
    private CompletableFuture<int[]> pollOn(Thread[] thread, int fd, int events, int timeoutMs) {
        CompletableFuture<int[]> result = new CompletableFuture<>();
        thread[0] = Thread.ofPlatform().daemon().name("select-test").start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(pollfd.LAYOUT);
                pollfd.fill(p, 0, fd, events);
                int r = Select.poll(p, 1, timeoutMs, files);
                result.complete(new int[] {r, pollfd.revents(p, 0), Thread.currentThread().isInterrupted() ? 1 : 0});
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    @Test
    void closingAPolledFd_keepsTheFileUntilThePollEnds_andThePollThenSeesPollnval() throws Exception {
        EventFdFile e = new EventFdFile(0, 0);
        int fd = install(e);
        Thread[] t = new Thread[1];
        CompletableFuture<int[]> r = pollOn(t, fd, POLLIN, -1);
        Asleep.until(t[0], true);
        synchronized (platformLock) {
            assertEquals(2, e.refs(), "the fd's reference and the poller's (__pollwait's get_file)");
            table.remove(fd).put(); // close(fd): does not wake the poller, as in the kernel
            assertEquals(1, e.refs(), "the poller still holds the file: not released");
        }
        e.signal(); // any wake-up makes it pass again: the fd is gone now
        int[] got = r.get(60, TimeUnit.SECONDS);
        assertEquals(1, got[0], "poll result");
        assertEquals(POLLNVAL, got[1], "revents of the closed fd");
        synchronized (platformLock) {
            assertEquals(0, e.refs(), "poll_freewait dropped the poller's reference");
        }
    }

    @Test
    void anInterruptedPoller_returnsEintr_andKeepsItsInterrupt() throws Exception {
        int fd = install(new EventFdFile(0, 0));
        Thread[] t = new Thread[1];
        CompletableFuture<int[]> r = pollOn(t, fd, POLLIN, -1);
        Asleep.until(t[0], true);
        t[0].interrupt();
        int[] got = r.get(60, TimeUnit.SECONDS);
        assertEquals(-Errno.EINTR, got[0], "poll result");
        assertEquals(0, got[1], "revents are copied back, nothing ready");
        assertEquals(1, got[2], "the thread is still interrupted");
    }

    @Test
    void aWriteWakesABlockedPoll_withALongTimeout() throws Exception {
        EventFdFile e = new EventFdFile(0, 0);
        int fd = install(e);
        Thread[] t = new Thread[1];
        CompletableFuture<int[]> r = pollOn(t, fd, POLLIN, 600_000);
        Asleep.until(t[0], true);
        assertEquals(8, e.tryWrite(3), "write(eventfd, 3)");
        int[] got = r.get(60, TimeUnit.SECONDS);
        assertEquals(1, got[0], "poll result");
        assertEquals(POLLIN, got[1], "revents");
        assertEquals(1, e.refs(), "only the fd's reference is left");
    }

    @Test
    void nfdsAboveRlimitNofile_isEinval_atTheLimitIsFine() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(pollfd.SIZE * (FdTable.NOFILE + 1));
            for (int i = 0; i <= FdTable.NOFILE; i++) {
                pollfd.fill(p, i, -1, POLLIN);
            }
            assertEquals(-Errno.EINVAL, Select.poll(p, FdTable.NOFILE + 1, 0, files), "nfds 1025");
            assertEquals(0, Select.poll(p, FdTable.NOFILE, 0, files), "nfds 1024, every fd negative");
        }
    }

    @Test
    void eventfdPoll_reportsPollerrAtUllongMax_andNoPollout() {
        EventFdFile saturated = new EventFdFile(-1L, 0); // eventfd_signal saturates there; a write cannot
        assertEquals(POLLIN | POLLERR, saturated.poll(null), "count ULLONG_MAX");
        assertEquals(POLLIN, new EventFdFile(-2L, 0).poll(null), "count ULLONG_MAX - 1");
        assertEquals(POLLOUT, new EventFdFile(0, 0).poll(null), "count 0");
    }

    @Test
    void filesWithoutAPollOp_answerDefaultPollmask() {
        EmuFile plain = new EmuFile() {
            @Override
            protected void release() {}

            @Override
            public String kind() {
                return "test";
            }
        };
        assertEquals(0x145, plain.poll(new PollTable()), "POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM");
    }
}
