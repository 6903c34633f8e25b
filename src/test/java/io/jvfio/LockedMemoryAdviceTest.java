package io.jvfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.backend.LockedMemory;
import org.junit.jupiter.api.Test;

class LockedMemoryAdviceTest {

    @Test
    void withoutALimitInForceTheEnomemIsNotTheLimits() {
        String cap = LockedMemoryAdvice.advice(new LockedMemory(8 << 20, 0, true), 1 << 20, "this X");
        assertTrue(cap.startsWith("not the locked-memory limit (the process has CAP_IPC_LOCK)"), cap);
        String unl = LockedMemoryAdvice.advice(new LockedMemory(LockedMemory.UNLIMITED, 0, false), 1 << 20, "this X");
        assertTrue(unl.contains("RLIMIT_MEMLOCK is unlimited"), unl);
    }

    @Test
    void anEnomemWithinTheLimitIsNotTheLimits() {
        String a = LockedMemoryAdvice.advice(new LockedMemory(8 << 20, 2 << 20, false), 1 << 20, "this X");
        assertTrue(a.startsWith("not the locked-memory limit: 2MiB locked and the 1MiB this X charges fit RLIMIT_MEMLOCK "
                + "8MiB"), a);
    }

    @Test
    void unknownLockedAmountIsSaid() {
        String a = LockedMemoryAdvice.advice(new LockedMemory(4096, LockedMemory.UNKNOWN, false), 8192, "this X");
        assertTrue(a.contains("this X needs 8KiB of locked memory, RLIMIT_MEMLOCK is 4KiB, so the limit must be at least "
                + "8KiB plus what is locked already: run `ulimit -l 8`"), a);
    }

    @Test
    void charges() {
        assertEquals(2 << 20, LockedMemoryAdvice.tableCharge(12, 1L << 30, 1, 4096), "1 GiB of 4K TCEs: 2 MiB");
        assertEquals(0xfffff000L, LockedMemoryAdvice.tableCharge(16, 1L << 32, 2, 4096), "levels > 1 on pSeries");
        assertEquals(8192, LockedMemoryAdvice.pagesCharge(4097, 4096));
    }
}
