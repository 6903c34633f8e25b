package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.DmaWindow;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IovaAllocatorTest {
    private static final long K4 = 4096;

    @Test
    void bestFit_prefersTheSmallestHole_notTheFirst() throws VfioException {
        IovaAllocator a = new IovaAllocator(0, 64 * K4, K4, IovaAllocator.Unmapper.NONE);
        IovaRange r0 = a.allocate(8 * K4);   // [0, 8)
        IovaRange r1 = a.allocate(1 * K4);   // [8, 9)
        IovaRange r2 = a.allocate(2 * K4);   // [9, 11)
        IovaRange r3 = a.allocate(1 * K4);   // [11, 12), rest [12, 64) free
        a.free(r0);                          // hole of 8 pages at 0
        a.free(r2);                          // hole of 2 pages at 9
        IovaRange got = a.allocate(2 * K4);
        assertEquals(9 * K4, got.start(), "the 2-page hole, not the first (8-page) one");
        IovaRange got2 = a.allocate(3 * K4);
        assertEquals(0, got2.start(), "then the 8-page hole, the smallest that fits 3");
        assertEquals(List.of(new IovaRange(3 * K4, 5 * K4), new IovaRange(12 * K4, 52 * K4)), a.freeRanges());
        assertNotNull(r1);
        assertNotNull(r3);
    }

    @Test
    void free_coalescesWithBothNeighbours() throws VfioException {
        IovaAllocator a = new IovaAllocator(0x800000000000000L, 16 * K4, K4, IovaAllocator.Unmapper.NONE);
        IovaRange x = a.allocate(K4);
        IovaRange y = a.allocate(K4);
        IovaRange z = a.allocate(K4);
        a.free(x);
        a.free(z);
        assertEquals(2, a.freeBlockCount());
        a.free(y);
        assertEquals(1, a.freeBlockCount());
        assertEquals(16 * K4, a.largestFree());
    }

    @Test
    void free_unmapsFirst_andAFailedUnmapKeepsTheRangeAllocated() throws VfioException {
        List<String> calls = new ArrayList<>();
        boolean[] fail = {true};
        IovaAllocator a = new IovaAllocator(new DmaWindow(0, 1L << 20, 16, 1, false), (iova, size) -> {
            calls.add(String.format("unmap 0x%x 0x%x", iova, size));
            if (fail[0]) {
                throw new VfioGuardException("unmap", 0, "test");
            }
        });
        IovaRange r = a.allocate(100);
        assertEquals(1L << 16, r.size(), "rounded up to the 64K TCE page");
        assertThrows(VfioGuardException.class, () -> a.free(r));
        assertEquals(List.of(r), a.allocatedRanges(), "still allocated after a failed unmap");
        fail[0] = false;
        a.free(r);
        assertEquals(List.of("unmap 0x0 0x10000", "unmap 0x0 0x10000"), calls);
        assertTrue(a.allocatedRanges().isEmpty());
    }

    @Test
    void exhaustion_saysHowFragmentedTheWindowIs() throws VfioException {
        IovaAllocator a = new IovaAllocator(0, 4 * K4, K4, IovaAllocator.Unmapper.NONE);
        IovaRange r0 = a.allocate(K4);
        a.allocate(K4);
        a.allocate(K4);
        a.free(r0);
        VfioGuardException e = assertThrows(VfioGuardException.class, () -> a.allocate(2 * K4));
        assertTrue(e.getMessage().contains("2 block(s)"), e.getMessage());
        assertTrue(e.getMessage().contains("the largest 4K"), e.getMessage());
    }

    @Test
    void alignment_isHonoured() throws VfioException {
        IovaAllocator a = new IovaAllocator(0, 1L << 24, K4, IovaAllocator.Unmapper.NONE);
        a.allocate(K4);
        IovaRange r = a.allocate(K4, 1L << 21);
        assertEquals(1L << 21, r.start());
        assertEquals(2, a.freeBlockCount(), "the gap below the aligned range and the tail remain free");
    }

    @Test
    void freeingSomethingNotAllocated_isRefused() throws VfioException {
        IovaAllocator a = new IovaAllocator(0, 16 * K4, K4, IovaAllocator.Unmapper.NONE);
        IovaRange r = a.allocate(2 * K4);
        assertThrows(IllegalArgumentException.class, () -> a.free(new IovaRange(r.start(), K4)));
        a.free(r);
        assertThrows(IllegalArgumentException.class, () -> a.free(r), "double free");
    }

    @Test
    void badWindows_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(0, 0, K4, null));
        assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(100, K4, K4, null));
        assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(0, K4, 3000, null));
        assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(Long.MAX_VALUE & -K4, 2 * K4, K4, null));
    }
}
