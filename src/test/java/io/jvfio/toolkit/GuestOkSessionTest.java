package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioSystemException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The toolkit on the default QEMU shape, on whatever this host has: the real kernel inside the
 * project's pSeries guest (when /dev/vfio/0 exists), else the emulator's {@code qemu-pseries}. The
 * in-guest runner selects these by the {@code guest-ok} tag. Each test keeps its window small (REMOVE
 * clears every TCE) and never provokes a failed DDW create (the kernel would remember it until reboot).
 */
@Tag("guest-ok")
class GuestOkSessionTest {

    @Test
    void defaultSession_plansExecutesAndRoundTrips() throws VfioException {
        try (Vfio vfio = Platforms.guestOrEmulated(); DmaSession s = DmaSession.open(vfio, 0)) {
            Plan p = s.plan();
            System.out.println(p.toText());
            assertEquals(IommuType.SPAPR_TCE_V2, p.containerType());
            assertTrue(p.createWindow(), "QEMU's default shape has DDW");
            assertTrue(p.executed());
            assertEquals(s.window().start(), p.windowStart().getAsLong());
            assertEquals(0, s.window().start(), "QEMU: a lone window lands at dma_win_addr = 0");
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
            assertTrue(s.window().contains(r.srcIova()));
        }
    }

    @Test
    void hugetlbSession_2MTces_roundTrips() throws VfioException {
        try (Vfio vfio = Platforms.guestOrEmulated();
                DmaSession s = DmaSession.open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB)
                        .withBudget(4L << 20))) {
            assertEquals(21, s.plan().pageShift());
            try {
                Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
            } catch (VfioSystemException e) {
                assumeTrue(false, "no free huge pages on this host: " + e.getMessage());
            }
        }
    }

    @Test
    void keepingTheDefaultWindow_ddwAt0x0800000000000000() throws VfioException {
        SessionOptions o = SessionOptions.defaults().withBudget(1L << 20)
                .withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true));
        try (Vfio vfio = Platforms.guestOrEmulated(); DmaSession s = DmaSession.open(vfio, 0, o)) {
            assertEquals(0x0800000000000000L, s.window().start());
            Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
        }
    }

    @Test
    void planReport_probe_matchesWhatTheSessionDoes() throws VfioException {
        try (Vfio vfio = Platforms.guestOrEmulated()) {
            PlanReport.Platform p = PlanReport.probe(vfio, 0);
            assertEquals(IommuType.SPAPR_TCE_V2, p.infoFrom());
            assertEquals(0x40000000L, p.info().dma32WindowSize());
            String text = PlanReport.render(p, 32L << 20, 2L << 20, false);
            assertTrue(text.contains("create a 32M window of 2M TCE pages"), text);
            // The probe released the group: a session can open it now.
            try (DmaSession s = DmaSession.open(vfio, 0)) {
                assertTrue(s.isOpen());
            }
        }
    }
}
