package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.DmaDirection;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.emul.Profile;
import org.junit.jupiter.api.Test;

/**
 * Every planner branch, one emulator profile each: the plan is built AND executed by a DmaSession,
 * memory is mapped at the IOVA the session returns, and the edu device copies bytes RAM -> edu -> RAM
 * through the window, verified byte for byte.
 */
class PlannerOnEmulatorTest {
    static final long M2 = 2L << 20;
    static final long G1 = 1L << 30;
    static final long QEMU_DDW_ADDR = 0x0800000000000000L;
    static final String EDU = "0000:00:00.0";

    private static DmaSession open(Vfio vfio, int group, SessionOptions o) throws VfioException {
        DmaSession s = DmaSession.open(vfio, group, o);
        System.out.println("---- " + vfio.backend().description() + "\n" + s.plan().toText());
        return s;
    }

    @Test
    void qemuPseries_defaults_removeTheDefaultWindow_ddwLandsAt0() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                DmaSession s = open(vfio, 0, SessionOptions.defaults())) {
            Plan p = s.plan();
            assertEquals(IommuType.SPAPR_TCE_V2, p.containerType());
            assertTrue(p.ddwUsable());
            assertTrue(p.removeDefaultWindow());
            assertTrue(p.createWindow());
            assertEquals(12, p.pageShift(), "anonymous 4K memory");
            assertEquals(16L << 20, p.windowSize(), "the 16M default budget");
            assertTrue(p.executed());
            assertEquals(0, p.windowStart().getAsLong(), "QEMU: dma_win_addr once no other window is active");
            assertEquals(0, s.window().start());
            assertEquals(1, s.container().windows().size(), "the default window is gone");
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, EDU);
            assertTrue(r.srcIova() < (16L << 20));
        }
    }

    /**
     * The 64K kernel (as measured by {@code make test-guest-64k}): memory comes in 64 KiB pages, so the
     * plan takes 64 KiB TCEs; that is a real DDW, and it lands beside the default window QEMU keeps.
     */
    @Test
    void qemuPseries_64kKernel_64kTces_ddwLandsAt1Shl59() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.named(Profile.QEMU_PSERIES).withKernelPageSize(64 << 10));
                DmaSession s = open(vfio, 0, SessionOptions.defaults())) {
            Plan p = s.plan();
            assertTrue(p.removeDefaultWindow());
            assertEquals(16, p.pageShift(), "anonymous memory in 64K pages");
            assertEquals(0x0800000000000000L, s.window().start(), "QEMU: dma64_win_addr");
            assertTrue(p.toText().contains("places this DDW at its dma64_win_addr"), p.toText());
            Platforms.eduRoundTrip(s, EDU);
        }
    }

    @Test
    void qemuPseries_hugetlb_2MTces() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                DmaSession s = open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB).withBudget(8L << 20))) {
            assertEquals(21, s.plan().pageShift());
            assertEquals(8L << 20, s.window().size());
            assertEquals(4, s.plan().tceCount());
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, EDU);
            assertEquals(M2, r.dstIova() - r.srcIova(), "one 2M TCE page per buffer");
        }
    }

    @Test
    void sriovVf_theDdwReplacesTheDefaultWindow() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.SRIOV_VF);
                DmaSession s = open(vfio, 0, SessionOptions.defaults())) {
            Plan p = s.plan();
            assertEquals(1, p.info().ddw().orElseThrow().maxDynamicWindows());
            assertTrue(p.removeDefaultWindow());
            assertTrue(p.decision("default window").orElseThrow().reason().contains("single window"));
            assertEquals(0, s.window().start(), "the DDW took slot 0 at the returned start");
            Platforms.eduRoundTrip(s, EDU);
        }
    }

    @Test
    void sriovVf_keepDefaultWindowCannotBeHonoured_butStillWorks() throws VfioException {
        SessionOptions o = SessionOptions.defaults().withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true));
        try (Vfio vfio = VfioHost.emulated(Profile.SRIOV_VF); DmaSession s = open(vfio, 0, o)) {
            assertTrue(s.plan().removeDefaultWindow());
            assertTrue(s.plan().decision("default window").orElseThrow().reason().contains("cannot be honoured"));
            assertTrue(s.window32().isEmpty());
            Platforms.eduRoundTrip(s, EDU);
        }
    }

    /**
     * no-ddw: the PHB has no dynamic windows. The pSeries kernel reports max_dynamic_windows_supported =
     * 0xFFFFFFFF and cannot hand VFIO the default window either (see the next test): the plan says so and
     * the session refuses before any MAP or CREATE, leaving the PE unharmed.
     */
    @Test
    void noDdw_thePlanExplainsWhyNothingCanBeMapped_andNoIoctlPoisonsThePe() {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.named(Profile.NO_DDW), rec)) {
            VfioGuardException e = assertThrows(VfioGuardException.class, () -> DmaSession.open(vfio, 0));
            System.out.println("---- no-ddw\n" + e.getMessage());
            assertTrue(e.getMessage().contains("max_dynamic_windows_supported is 4294967295"), e.getMessage());
            assertTrue(e.getMessage().contains("ddw=on"), e.getMessage());
            assertFalse(rec.ioctls().contains("iommuMapDma"));
            assertFalse(rec.ioctls().contains("spaprTceCreate"));
            assertEquals(rec.indexOf("groupSetContainer") >= 0, true);
            // Everything was closed again: the group opens.
            assertDoesNotThrow(() -> vfio.openGroup(0).close());
        }
    }

    /** What the session avoids: on no-ddw a plain v2 MAP into the default window fails (EINVAL). */
    @Test
    void noDdw_withoutTheToolkit_theFirstMapFails() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.NO_DDW);
                io.jvfio.Container c = vfio.openContainer();
                io.jvfio.Group g = vfio.openGroup(0);
                DmaMemory m = DmaMemory.allocate(vfio, 65536, Backing.ANONYMOUS)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            VfioException e = assertThrows(VfioException.class, () -> m.map(c, 0x100000, DmaDirection.BIDIRECTIONAL));
            assertEquals("EINVAL", e.errnoName());
        }
    }

    /**
     * The default-window branch (no usable DDW): a v1 container on qemu-pseries has no DDW in GET_INFO,
     * so the session maps into the default window, and the device DMAs through it.
     */
    @Test
    void v1Container_fallsBackToTheDefaultWindow_andDmaWorks() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                io.jvfio.Container c = vfio.openContainer();
                io.jvfio.Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            try (DmaSession s = DmaSession.over(c, SessionOptions.defaults())) {
                System.out.println("---- v1 on qemu-pseries\n" + s.plan().toText());
                Plan p = s.plan();
                assertEquals(IommuType.SPAPR_TCE_V1, p.containerType());
                assertFalse(p.createWindow());
                assertTrue(s.window().isDefault());
                assertEquals(G1, s.window().size());
                Platforms.RoundTrip r = Platforms.eduRoundTrip(s, g.openDevice(EDU));
                assertTrue(r.dstIova() < G1);
            }
        }
    }

    @Test
    void v1Container_memoryBeyondTheDefaultWindow_isRefusedWithThePlan() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                io.jvfio.Container c = vfio.openContainer();
                io.jvfio.Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            VfioGuardException e = assertThrows(VfioGuardException.class,
                    () -> DmaSession.over(c, SessionOptions.defaults().withBudget(2 * G1)));
            assertTrue(e.getMessage().contains("does not fit the 1G default window"), e.getMessage());
            assertTrue(e.getMessage().contains("decisions:"), "the message carries the plan");
        }
    }

    @Test
    void bigWindow_2GDefault_ddwSizedToTheMemory() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.BIG_WINDOW);
                DmaSession s = open(vfio, 0, SessionOptions.defaults())) {
            Plan p = s.plan();
            assertEquals(2 * G1, p.info().dma32WindowSize());
            assertTrue(p.decision("default window").orElseThrow().reason().contains("2G of 4K TCEs (524288 TCEs"));
            assertTrue(p.removeDefaultWindow());
            assertEquals(16L << 20, s.window().size());
            assertEquals(s.window().start(), p.windowStart().getAsLong());
            Platforms.eduRoundTrip(s, EDU);
        }
    }

    @Test
    void bigWindow_keepingTheDefaultWindow_ddwAt0x0800000000000000_usesTheReturnedStart() throws VfioException {
        SessionOptions o = SessionOptions.defaults().withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true));
        try (Vfio vfio = VfioHost.emulated(Profile.BIG_WINDOW); DmaSession s = open(vfio, 0, o)) {
            Plan p = s.plan();
            assertFalse(p.removeDefaultWindow());
            assertEquals(2, p.windows().size());
            assertEquals(524288, p.windows().getFirst().tceCount(), "the kept 2G default window's TCEs");
            assertEquals(QEMU_DDW_ADDR, s.window().start(), "a second window lands at dma64_win_addr");
            assertEquals(QEMU_DDW_ADDR, p.windowStart().getAsLong());
            assertTrue(p.decision("window placed").orElseThrow().reason().contains("60-bit"));
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, EDU);
            assertTrue(r.srcIova() >= QEMU_DDW_ADDR && r.dstIova() >= QEMU_DDW_ADDR);
            // The kept 32-bit window serves map32.
            DmaMemory low = s.allocate(4096);
            long iova32 = s.map32(low, DmaDirection.BIDIRECTIONAL);
            assertTrue(iova32 < 2 * G1, "below 4G");
            assertTrue(s.window32().orElseThrow().isDefault());
        }
    }

    @Test
    void customProfile_defaultWindowNotAt0_theDdwLandsWhereThePlatformSays() throws VfioException {
        Profile shifted = Profile.builder().name("dma-win-at-256M").dma32WindowStart(0x10000000L)
                .dma32WindowSize(0x10000000L).build();
        // 4K TCEs: the default window is re-established (limited to 16M) at its own start.
        try (Vfio vfio = VfioHost.emulated(shifted); DmaSession s = open(vfio, 0, SessionOptions.defaults())) {
            assertEquals(0x10000000L, s.plan().info().dma32WindowStart());
            assertTrue(s.plan().removeDefaultWindow());
            assertEquals("REMOVE(0)", s.plan().decision("default window removal").orElseThrow().choice(),
                    "a pending default window is dropped only by REMOVE(0)");
            assertEquals(0x10000000L, s.window().start());
            assertEquals(s.window().start(), s.plan().windowStart().getAsLong());
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, EDU);
            assertTrue(s.window().contains(r.srcIova()));
        }
        // 2M TCEs: a real DDW. Dropping the pending default window leaves QEMU's default window live
        // (as on the real kernel), so QEMU places the DDW at dma64_win_addr, not at dma_win_addr.
        try (Vfio vfio = VfioHost.emulated(shifted);
                DmaSession s = open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB).withBudget(4L << 20))) {
            assertEquals(21, s.window().pageShift());
            assertEquals(0x0800000000000000L, s.window().start(), "not 0: the returned start is used");
            assertEquals(s.window().start(), s.plan().windowStart().getAsLong());
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, EDU);
            assertTrue(s.window().contains(r.srcIova()));
        }
    }

    @Test
    void customProfile_only4KPages_hugetlbMemoryStillMapsWith4KTces() throws VfioException {
        Profile p4k = Profile.builder().name("4k-only").pgsizes(0x1000).build();
        try (Vfio vfio = VfioHost.emulated(p4k);
                DmaSession s = open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB).withBudget(4L << 20))) {
            assertEquals(12, s.plan().pageShift());
            assertEquals(1024, s.plan().tceCount());
            Platforms.eduRoundTrip(s, EDU);
        }
    }

    @Test
    void customProfile_smallLargestBlock_createFails_andNothingIsLeftOpen() {
        Profile tight = Profile.builder().name("tight").largestBlockTces(16).build();
        SessionOptions huge = SessionOptions.defaults().withBacking(Backing.HUGETLB);
        try (Vfio vfio = VfioHost.emulated(tight)) {
            // 64M of 2M pages = 32 TCEs > the 16 the hypervisor can give.
            VfioException e = assertThrows(VfioException.class, () -> DmaSession.open(vfio, 0, huge.withBudget(64L << 20)));
            assertEquals("EINVAL", e.errnoName(), e.getMessage());
            // Everything was closed, and the failure is not sticky: a window of 16 TCEs works.
            try (DmaSession s = DmaSession.open(vfio, 0, huge.withBudget(32L << 20))) {
                assertEquals(16, s.plan().tceCount());
                Platforms.eduRoundTrip(s, EDU);
            } catch (VfioException again) {
                fail("a smaller window must work after the failed one: " + again.getMessage());
            }
        }
    }

    @Test
    void twoPhb_group1_getsItsOwnSession() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES_2PHB);
                DmaSession s0 = open(vfio, 0, SessionOptions.defaults());
                DmaSession s1 = open(vfio, 1, SessionOptions.defaults())) {
            Platforms.eduRoundTrip(s0, "0000:00:00.0");
            Platforms.eduRoundTrip(s1, "0001:00:00.0");
        }
    }

    @Test
    void memoryWithSmallerPagesThanTheWindow_isRefusedBeforeAnyIoctl() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                DmaSession s = DmaSession.open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB));
                DmaMemory small = DmaMemory.allocate(vfio, 8192, Backing.ANONYMOUS)) {
            VfioGuardException e = assertThrows(VfioGuardException.class, () -> s.map(small));
            assertTrue(e.getMessage().contains("HUGETLB"), e.getMessage());
            assertThrows(VfioGuardException.class,
                    () -> DmaMemory.allocate(vfio, 8192, Backing.ANONYMOUS, M2), "2M TCEs need 2M pages");
        }
    }

    @Test
    void windowExhaustion_saysSo_andFreeingMakesRoom() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                DmaSession s = DmaSession.open(vfio, 0, SessionOptions.defaults().withBudget(64L << 10))) {
            DmaMemory a = s.allocate(32L << 10);
            DmaMemory b = s.allocate(32L << 10);
            DmaMemory c = s.allocate(4096);
            s.map(a);
            long bIova = s.map(b);
            assertEquals(bIova, s.map(b), "mapping again returns the same IOVA");
            VfioGuardException e = assertThrows(VfioGuardException.class, () -> s.map(c));
            assertTrue(e.getMessage().contains("no free block"), e.getMessage());
            s.unmap(a);
            assertFalse(a.isRegistered(s.container()));
            assertEquals(0, s.map(c), "best fit reuses the freed range");
            assertEquals(EduDevice.ID, EduDevice.ID);
        }
    }
}
