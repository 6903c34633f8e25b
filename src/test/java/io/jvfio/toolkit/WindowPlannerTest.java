package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.DdwInfo;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every planner branch from GET_INFO alone (no backend): the shapes of the emulator's profiles and more. */
class WindowPlannerTest {
    static final long K4 = 4L << 10;
    static final long K64 = 64L << 10;
    static final long M2 = 2L << 20;
    static final long M16 = 16L << 20;
    static final long G1 = 1L << 30;
    static final long QEMU_PGSIZES = 0x1211000L; // 4K|64K|2M|16M

    /** GET_INFO (v2) of a pSeries guest on QEMU's defaults. */
    static TceInfo qemuPseries() {
        return new TceInfo(1, 0, G1, Optional.of(new DdwInfo(QEMU_PGSIZES, 2, 1)));
    }

    static TceInfo sriovVf() {
        return new TceInfo(1, 0, G1, Optional.of(new DdwInfo(QEMU_PGSIZES, 1, 1)));
    }

    static TceInfo bigWindow() {
        return new TceInfo(1, 0, 2 * G1, Optional.of(new DdwInfo(QEMU_PGSIZES, 2, 1)));
    }

    /** GET_INFO on a v1 container: no DDW flag. */
    static TceInfo v1() {
        return new TceInfo(0, 0, G1, Optional.empty());
    }

    private final WindowPlanner planner = new WindowPlanner();

    @Test
    void qemuDefaults_hugetlb_ddwWith2MPages_defaultRemoved() {
        Plan p = planner.plan(qemuPseries(), 32L << 20, M2);
        assertTrue(p.feasible());
        assertEquals(IommuType.SPAPR_TCE_V2, p.containerType());
        assertTrue(p.ddwUsable());
        assertTrue(p.removeDefaultWindow());
        assertTrue(p.createWindow());
        assertEquals(21, p.pageShift());
        assertEquals(32L << 20, p.windowSize());
        assertEquals(1, p.levels());
        assertEquals(16, p.tceCount());
        assertTrue(p.windowStart().isEmpty(), "the platform chooses the start");
        assertEquals(1, p.windows().size());
        assertEquals(128, p.windows().getFirst().tableBytes());
        assertTrue(p.decision("default window").orElseThrow().reason().contains("pending"));
    }

    @Test
    void anonymousMemory_gets4KTces_andTheWindowFitsIt() {
        Plan p = planner.plan(qemuPseries(), 32L << 20, K4);
        assertEquals(12, p.pageShift());
        assertEquals(32L << 20, p.windowSize());
        assertEquals(8192, p.tceCount());
        assertEquals(8192 * 8, p.windows().getFirst().tableBytes());
        assertEquals(Math.round(8192 * 1800.0), p.teardownNanos());
    }

    @Test
    void teardownEstimate_4GiBOf64KPages_is118ms() {
        Plan p = planner.plan(qemuPseries(), 4 * G1, K64);
        assertEquals(16, p.pageShift());
        assertEquals(65536, p.tceCount());
        assertEquals(117_964_800, p.teardownNanos());
        assertTrue(p.toText().contains("teardown ~118 ms"), p.toText());
        Plan nested = new WindowPlanner(PlannerOptions.defaults()
                .withTeardownNanosPerTce(PlannerOptions.NESTED_KVM_TEARDOWN_NANOS_PER_TCE)).plan(qemuPseries(), 4 * G1, K64);
        assertTrue(nested.teardownNanos() > 15_000_000_000L, "far more under nested KVM");
    }

    @Test
    void smallWindowsOf4KPages_areTheDefaultWindowReestablished_atItsStart() {
        Plan p = planner.plan(qemuPseries(), 16L << 20, K4);
        assertTrue(p.decision("window start").orElseThrow().reason().contains("re-establishes"));
        Plan big = planner.plan(qemuPseries(), 2 * G1, K4);
        assertFalse(big.decision("window start").orElseThrow().reason().contains("re-establishes"));
        Plan huge = planner.plan(qemuPseries(), 16L << 20, M2);
        assertFalse(huge.decision("window start").orElseThrow().reason().contains("re-establishes"));
    }

    @Test
    void windowSize_isTheNextPowerOfTwo_andMemoryIsRoundedToWholeTces() {
        Plan p = planner.plan(qemuPseries(), 3L << 20, M2);
        assertEquals(4L << 20, p.memorySize(), "3M rounded up to 2M pages");
        assertEquals(4L << 20, p.windowSize());
        Plan q = planner.plan(qemuPseries(), 5000, K4);
        assertEquals(8192, q.memorySize());
        assertEquals(8192, q.windowSize());
        Plan tiny = planner.plan(qemuPseries(), 100, M16);
        assertEquals(24, tiny.pageShift());
        assertEquals(M16, tiny.windowSize(), "at least one TCE page");
    }

    @Test
    void pageSize_isBoundedByThePlatform() {
        Plan p = planner.plan(qemuPseries(), 4 * G1, G1);
        assertEquals(24, p.pageShift(), "1G backing, but 16M is the largest TCE page QEMU offers");
        TceInfo only4k = new TceInfo(1, 0, G1, Optional.of(new DdwInfo(1L << 12, 2, 1)));
        assertEquals(12, planner.plan(only4k, M16, M2).pageShift());
    }

    @Test
    void sriovVf_mustReplaceTheDefaultWindow() {
        Plan p = planner.plan(sriovVf(), 64L << 20, M2);
        assertTrue(p.removeDefaultWindow());
        assertTrue(p.createWindow());
        Plan.Decision d = p.decision("default window").orElseThrow();
        assertTrue(d.reason().contains("max_dynamic_windows_supported = 1"), d.reason());
        assertTrue(d.reason().contains("SR-IOV"), d.reason());
    }

    @Test
    void bigWindow_stillUsesADdwSizedToTheMemory() {
        Plan p = planner.plan(bigWindow(), 8L << 20, K4);
        assertTrue(p.createWindow());
        assertEquals(8L << 20, p.windowSize());
        assertTrue(p.decision("default window").orElseThrow().reason().contains("2G of 4K TCEs"));
        Plan done = p.executed(0x0800000000000000L);
        assertEquals(0x0800000000000000L, done.windowStart().getAsLong());
        assertTrue(done.executed());
        assertEquals(0x0800000000000000L, done.windows().getFirst().start().getAsLong());
        String reason = done.decision("window placed").orElseThrow().reason();
        assertTrue(reason.contains("not 0") && reason.contains("60-bit"), reason);
    }

    @Test
    void noDdw_v1_usesTheDefaultWindow_whenTheMemoryFits() {
        Plan p = planner.plan(v1(), 32L << 20, M2);
        assertTrue(p.feasible());
        assertEquals(IommuType.SPAPR_TCE_V1, p.containerType());
        assertFalse(p.createWindow());
        assertFalse(p.removeDefaultWindow());
        assertEquals(12, p.pageShift(), "the default window has 4K TCEs");
        assertEquals(G1, p.windowSize());
        assertEquals(0, p.windowStart().getAsLong());
        assertEquals(262144, p.tceCount());
    }

    @Test
    void noDdw_memoryLargerThanTheDefaultWindow_isNotFeasible() {
        Plan p = planner.plan(v1(), 2 * G1, K4);
        assertFalse(p.feasible());
        assertTrue(p.problem().orElseThrow().contains("does not fit the 1G default window"), p.problem().get());
        assertTrue(p.toText().contains("NOT FEASIBLE"));
        assertTrue(p.windows().isEmpty());
    }

    @Test
    void noDdw_pseriesSignature_maxWindowsAllOnes_isNotFeasible() {
        TceInfo quirk = new TceInfo(1, 0, G1, Optional.of(new DdwInfo(1L << 12, -1, 0)));
        Plan p = planner.plan(quirk, 16L << 20, K4);
        assertEquals(IommuType.SPAPR_TCE_V2, p.containerType(), "v2 attach succeeds: the count is not 0");
        assertFalse(p.ddwUsable());
        assertFalse(p.feasible());
        assertTrue(p.decision("dynamic windows").orElseThrow().reason().contains("is 4294967295"));
        assertTrue(p.decision("default window").orElseThrow().reason().contains("failed-DDW list"));
        assertTrue(p.problem().orElseThrow().contains("ddw=on"));
    }

    @Test
    void noDdw_otherwise_maxWindowsZero_fallsBackToTheDefaultWindow() {
        TceInfo none = new TceInfo(1, 0, G1, Optional.of(new DdwInfo(1L << 12, 0, 1)));
        Plan p = planner.plan(none, 16L << 20, K4);
        assertTrue(p.feasible());
        assertFalse(p.createWindow());
        assertEquals(G1, p.windowSize());
    }

    @Test
    void v2AcceptedWithoutDdwFlag_mapsIntoTheDefaultWindowOnV2() {
        Plan p = planner.plan(v1(), IommuType.SPAPR_TCE_V2, 16L << 20, K4);
        assertEquals(IommuType.SPAPR_TCE_V2, p.containerType());
        assertFalse(p.createWindow());
        assertEquals(G1, p.windowSize());
    }

    @Test
    void infoFromV1_evenWithDdwFlag_isV1() {
        Plan p = planner.plan(qemuPseries(), IommuType.SPAPR_TCE_V1, 16L << 20, K4);
        assertEquals(IommuType.SPAPR_TCE_V1, p.containerType());
        assertFalse(p.createWindow());
    }

    @Test
    void multiLevelPlatforms_computeLevelsLikeQemu() {
        TceInfo powernv = new TceInfo(1, 0, G1, Optional.of(new DdwInfo(QEMU_PGSIZES, 2, 5)));
        WindowPlanner p64 = new WindowPlanner(PlannerOptions.defaults().withSystemPageSize(K64));
        // 1 TiB of 64K pages: 2^24 TCEs, a 128M table: 27 bits, 24 bits per level with 64K pages -> 2 levels.
        Plan p = p64.plan(powernv, 1L << 40, K64);
        assertEquals(16, p.pageShift());
        assertEquals(2, p.levels());
        assertEquals(3, p.maxLevels(), "(64 - 16) / 16");
        // A small window fits one level.
        assertEquals(1, p64.plan(powernv, 64L << 20, K64).levels());
        // 4K system pages: 20 bits per level; 1 TiB of 4K pages = 2^28 TCEs, 2^31 bytes: 2 levels.
        assertArrayEquals(new int[] {2, 4}, WindowPlanner.qemuLevels(1L << 28, 12, K4));
        // Capped by what the platform allows.
        TceInfo two = new TceInfo(1, 0, G1, Optional.of(new DdwInfo(QEMU_PGSIZES, 2, 2)));
        Plan capped = new WindowPlanner().plan(two, 1L << 46, K4);
        assertEquals(2, capped.levels());
        assertEquals(2, capped.maxLevels());
    }

    @Test
    void pseries_isAlwaysOneLevel() {
        Plan p = planner.plan(qemuPseries(), 1L << 40, K4);
        assertEquals(1, p.levels());
        assertEquals(1, p.maxLevels());
        assertTrue(p.decision("levels").orElseThrow().reason().contains("single-level"));
    }

    @Test
    void noWindowAtAll_isNotFeasible() {
        Plan p = planner.plan(new TceInfo(0, 0, 0, Optional.empty()), K4, K4);
        assertFalse(p.feasible());
    }

    @Test
    void badInputs_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> planner.plan(qemuPseries(), 0, K4));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(qemuPseries(), K4, 3000));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(qemuPseries(), IommuType.TYPE1, K4, K4));
    }

    @Test
    void everyDecisionHasAReason() {
        for (TceInfo info : new TceInfo[] {qemuPseries(), sriovVf(), bigWindow(), v1()}) {
            for (long backing : new long[] {K4, K64, M2, M16}) {
                Plan p = planner.plan(info, 48L << 20, backing);
                assertFalse(p.decisions().isEmpty());
                p.decisions().forEach(d -> {
                    assertFalse(d.topic().isBlank());
                    assertFalse(d.choice().isBlank());
                    assertTrue(d.reason().length() > 10, d::toString);
                });
            }
        }
    }

    @Test
    void lockedMemoryThePlanNeeds() {
        Plan removed = planner.plan(qemuPseries(), 256L << 20, K4);
        assertTrue(removed.removeDefaultWindow() && removed.createWindow(), removed.toText());
        assertEquals((256L << 20) + 512 * 1024, removed.lockedMemoryBytes(),
                "REGISTER 256M + the 4K-TCE table (65536 TCEs x 8 bytes); the pending default window is never charged");
        assertTrue(removed.toText().contains("locked memory: 262656KB at the peak"), removed.toText());
        assertTrue(removed.toText().contains("ulimit -l 262656, or LimitMEMLOCK=262656K"), removed.toText());
        assertEquals(removed.lockedMemoryBytes(), removed.toJsonNode().get("locked_memory_bytes").asLong());
        Plan kept = new WindowPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true)).plan(qemuPseries(), 256L << 20, K4);
        assertEquals((256L << 20) + (2L << 20) + 512 * 1024, kept.lockedMemoryBytes(), "plus the default window's 2M table");
        Plan v1 = planner.plan(v1(), 64L << 20, K4);
        assertEquals(G1, v1.lockedMemoryBytes(), "v1 ENABLE charges the whole default window");
        assertTrue(v1.toText().contains("v1 ENABLE charges the whole default window"), v1.toText());
    }
}
