package io.jvfio.backend.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Anonymous memory of the kernel backend against the host's real mm: a freed range kept reserved. */
class KernelBackendMemoryTest {
    private final KernelBackend k = new KernelBackend();

    /** The /proc/self/maps line of the mapping that starts at {@code addr}, or null. */
    private static String mapsLine(long addr) throws IOException {
        String prefix = Long.toHexString(addr) + "-";
        for (String l : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (l.startsWith(prefix)) {
                return l;
            }
        }
        return null;
    }

    @Test
    void unmapKeepingRange_leavesAnInaccessibleReservationUntilTheOwnerCloses() throws Exception {
        long addr;
        try (Arena owner = Arena.ofConfined()) {
            MemorySegment seg = k.mmapAnonymous(64 * 1024, false, owner);
            addr = seg.address();
            seg.set(ValueLayout.JAVA_LONG, 0, 42);
            assertTrue(mapsLine(addr).contains(" rw-p "), mapsLine(addr));

            k.unmapKeepingRange(seg);
            String l = mapsLine(addr);
            assertTrue(l != null && l.contains(" ---p "), "expected a PROT_NONE reservation at 0x" + Long.toHexString(addr) + ": " + l);

            // The allocator cannot hand the range out while it is reserved.
            List<Long> next = new ArrayList<>();
            try (Arena more = Arena.ofConfined()) {
                for (int i = 0; i < 16; i++) {
                    next.add(k.mmapAnonymous(64 * 1024, false, more).address());
                }
            }
            assertFalse(next.contains(addr), "a reserved range was handed out again");
        }
        String after = mapsLine(addr);
        assertTrue(after == null || !after.contains(" ---p "), "the reservation outlived its owner: " + after);
    }
}
