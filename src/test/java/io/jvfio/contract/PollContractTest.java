package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.*;
import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;

import io.jvfio.abi.pollfd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;

/**
 * poll(2) on the fds jvfio waits on (fs/select.c, fs/eventfd.c): an eventfd's readiness by its
 * count, POLLNVAL and negative entries, the argument checks, what the VFIO files (no poll op) answer,
 * and a blocked poll woken by a write from another thread. The kernel variant is the oracle for the
 * emulator's {@code Select}.
 */
@Tag("contract")
class PollContractTest {
    private static final int ALL = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
    /** The largest eventfd count a write can reach: ULLONG_MAX - 1. */
    private static final long MAX_COUNT = -2L;

    private static MemorySegment fds(Fixture f, int... fdAndEvents) {
        MemorySegment s = f.bytes(fdAndEvents.length / 2 * pollfd.SIZE);
        for (int i = 0; i < fdAndEvents.length / 2; i++) {
            pollfd.fill(s, i, fdAndEvents[2 * i], fdAndEvents[2 * i + 1]);
            pollfd.revents.set(s.asSlice(i * pollfd.SIZE), 0x7fff); // the kernel must overwrite it
        }
        return s;
    }

    private static void write(Fixture f, int fd, long v) {
        MemorySegment s = f.bytes(8);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, v);
        assertRet(8, f.b.write(fd, s), "write(eventfd, " + Long.toUnsignedString(v) + ")");
    }

    /** eventfd_poll: POLLOUT while a write of 1 fits, POLLIN while the count is above 0; masked by events. */
    @ContractTest
    void poll_eventfdReadinessFollowsTheCount(Fixture f) {
        int e = f.eventfd();
        MemorySegment p = fds(f, e, POLLIN | POLLOUT);
        assertRet(1, f.b.poll(p, 1, 0), "poll(empty eventfd, IN|OUT)");
        assertHex(POLLOUT, pollfd.revents(p, 0), "revents of an empty eventfd");
        p = fds(f, e, POLLIN);
        assertRet(0, f.b.poll(p, 1, 0), "poll(empty eventfd, IN, timeout 0)");
        assertHex(0, pollfd.revents(p, 0), "revents of an empty eventfd, IN only");
        write(f, e, 2);
        p = fds(f, e, POLLIN | POLLOUT);
        assertRet(1, f.b.poll(p, 1, 0), "poll(eventfd with count 2)");
        assertHex(POLLIN | POLLOUT, pollfd.revents(p, 0), "revents with count 2");
        write(f, e, MAX_COUNT - 2);
        p = fds(f, e, POLLIN | POLLOUT);
        assertRet(1, f.b.poll(p, 1, 0), "poll(eventfd at ULLONG_MAX - 1)");
        assertHex(POLLIN, pollfd.revents(p, 0), "revents at ULLONG_MAX - 1: a write would block");
    }

    /** do_pollfd: a closed fd is POLLNVAL and counts as ready; a negative fd is skipped (revents 0). */
    @ContractTest
    void poll_closedFdIsNval_negativeFdIgnored(Fixture f) {
        int open = f.eventfd();
        int closed = f.eventfd();
        assertOk(f.closeFd(closed), "close(eventfd)");
        write(f, open, 1);
        MemorySegment p = fds(f, open, POLLIN, closed, POLLIN, -1, POLLIN);
        assertRet(2, f.b.poll(p, 3, 0), "poll(signalled, closed, -1)");
        assertHex(POLLIN, pollfd.revents(p, 0), "revents of the signalled eventfd");
        assertHex(POLLNVAL, pollfd.revents(p, 1), "revents of the closed fd");
        assertHex(0, pollfd.revents(p, 2), "revents of fd -1");
        MemorySegment none = fds(f, -1, POLLIN);
        assertRet(0, f.b.poll(none, 1, 0), "poll(fd -1 only, timeout 0)");
    }

    /** The VFIO container, group and device files have no poll op: vfs_poll's DEFAULT_POLLMASK. */
    @ContractTest
    void poll_vfioFilesAnswerTheDefaultMask(Fixture f) {
        int d = f.v2Device();
        MemorySegment p = fds(f, f.container, ALL | POLLPRI, f.group, ALL | POLLPRI, d, ALL | POLLPRI);
        assertRet(3, f.b.poll(p, 3, 0), "poll(container, group, device)");
        for (int i = 0; i < 3; i++) {
            assertHex(ALL, pollfd.revents(p, i), "revents of VFIO fd #" + i);
        }
        p = fds(f, d, POLLPRI);
        assertRet(0, f.b.poll(p, 1, 0), "poll(device, PRI only)");
    }

    /** do_sys_poll: nfds above RLIMIT_NOFILE (-1 is ULONG_MAX) is EINVAL; an array the kernel cannot read is EFAULT. */
    @ContractTest
    void poll_badArguments(Fixture f) {
        int e = f.eventfd();
        assertErrno(EINVAL, f.b.poll(fds(f, e, POLLIN), -1, 0), "poll(nfds -1)");
        assertErrno(EFAULT, f.b.poll(MemorySegment.NULL, 1, 0), "poll(NULL, 1)");
        assertErrno(EFAULT, f.b.poll(fds(f, e, POLLIN), 2, 0), "poll(one entry, nfds 2)");
        assertRet(0, f.b.poll(MemorySegment.NULL, 0, 0), "poll(NULL, 0, timeout 0)");
    }

    /** A poll with no time limit sleeps until another thread writes the eventfd, then reports it. */
    @ContractTest
    void poll_blockedPollWokenByAWriteFromAnotherThread(Fixture f) throws Exception {
        int e = f.eventfd();
        CompletableFuture<int[]> result = new CompletableFuture<>();
        Thread poller = Thread.ofPlatform().daemon().name("poll-contract").start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(pollfd.LAYOUT);
                pollfd.fill(p, 0, e, POLLIN);
                int r = f.b.poll(p, 1, -1);
                result.complete(new int[] {r, pollfd.revents(p, 0)});
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        Asleep.until(poller, f.emulated());
        write(f, e, 1);
        int[] r = result.get(60, TimeUnit.SECONDS);
        assertRet(1, r[0], "poll(eventfd, no timeout) after the write");
        assertHex(POLLIN, r[1], "revents");
        poller.join();
    }
}
