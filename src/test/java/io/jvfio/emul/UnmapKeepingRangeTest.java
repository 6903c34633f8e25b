package io.jvfio.emul;

import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.ErrnoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The emulator's munmap that keeps the range: as a PROT_NONE mapping over it does in the kernel. */
class UnmapKeepingRangeTest {
    @Test
    void reservedRange_isUnmapped_neverHandedOutAgain_andEndsWithItsOwner() throws Exception {
        Emu e = new Emu();
        e.setup(VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU);
        long start;
        long size = 1L << 20;
        try (Arena owner = Arena.ofConfined()) {
            MemorySegment buf = e.be.mmapAnonymous(size, false, owner);
            start = buf.address();
            e.be.unmapKeepingRange(buf);
            assertEquals(-EFAULT, e.register(start, size), "register of the reserved range: unmapped");
            assertEquals(0, e.be.inspect().mappings(), "no mapping left");
            for (int i = 0; i < 64; i++) {
                long a = e.alloc(size, false).address();
                assertFalse(a < start + size && start < a + size, "an mmap landed on the reserved range");
            }
            assertThrows(ErrnoException.class, () -> e.be.unmapKeepingRange(buf), "a second time: nothing mapped there");
        }
        assertEquals(64, e.be.inspect().mappings(), "the owner's close ended the reservation, not another mapping");
    }

    @Test
    void aRangeThatIsNotAMappingStart_isRefused() throws Exception {
        Emu e = new Emu();
        MemorySegment buf = e.alloc(1L << 20, false);
        ErrnoException x = assertThrows(ErrnoException.class, () -> e.be.unmapKeepingRange(buf.asSlice(4096)));
        assertEquals(EINVAL, x.errno());
    }
}
