package io.jvfio.backend.kernel;

import static io.jvfio.abi.VfioUapi.POLLIN;
import static io.jvfio.abi.VfioUapi.POLLNVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.abi.pollfd;
import io.jvfio.backend.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The kernel backend's poll on this host's kernel (eventfds need no VFIO): an array shorter than
 * {@code nfds} entries never reaches the kernel as is, so the kernel cannot write revents past it.
 */
class KernelPollTest {
    @Test
    void anArrayShorterThanNfds_isEfault_andTheBytesAfterItStayUntouched() {
        KernelBackend b = new KernelBackend();
        int e = b.eventfd(1, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment two = a.allocate(pollfd.SIZE * 2);
            pollfd.fill(two, 0, e, POLLIN);
            pollfd.fill(two, 1, e, POLLIN);
            MemorySegment one = two.asSlice(0, pollfd.SIZE);
            assertEquals(-Errno.EFAULT, b.poll(one, 2, 0), "poll(one entry, nfds 2)");
            assertEquals(0, pollfd.revents(two, 1), "the second entry, outside the segment, was not written");
            assertEquals(-Errno.EINVAL, b.poll(one, -1, 0), "poll(nfds -1 = ULONG_MAX)");
            assertEquals(2, b.poll(two, 2, 0), "the same two entries (one fd twice: each counts) in a segment that holds them");
            assertEquals(POLLIN, pollfd.revents(two, 1), "now the kernel wrote it");
        } finally {
            b.close(e);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(pollfd.LAYOUT);
            pollfd.fill(p, 0, Integer.MAX_VALUE, POLLIN);
            assertEquals(1, b.poll(p, 1, 0), "poll(an fd number nobody has)");
            assertEquals(POLLNVAL, pollfd.revents(p, 0), "revents");
        }
    }
}
