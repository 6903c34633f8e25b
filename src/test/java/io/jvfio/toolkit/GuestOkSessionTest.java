package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioSystemException;
import io.jvfio.backend.Errno;
import io.jvfio.contract.ContractTest;
import io.jvfio.contract.AnyPageSize;
import io.jvfio.contract.Fixture;
import org.junit.jupiter.api.Tag;

/**
 * The toolkit on the default QEMU shape, over the backend table ({@link ContractTest}): the emulator's
 * {@code qemu-pseries} on the host, the real kernel inside the project's pSeries guest (the in-guest
 * runner selects this class). Each test keeps its window small (REMOVE clears every TCE) and never
 * provokes a failed DDW create (the kernel would remember it until reboot).
 */
@Tag("guest-ok")
@AnyPageSize
class GuestOkSessionTest {

    @ContractTest
    void defaultSession_plansExecutesAndRoundTrips(Fixture f) throws VfioException {
        Vfio vfio = f.vfio();
        try (DmaSession s = DmaSession.open(vfio, 0)) {
            Plan p = s.plan();
            System.out.println(p.toText());
            assertEquals(IommuType.SPAPR_TCE_V2, p.containerType());
            assertTrue(p.createWindow(), "QEMU's default shape has DDW");
            assertTrue(p.executed());
            assertEquals(s.window().start(), p.windowStart().getAsLong());
            // A default-shaped CREATE (4 KiB TCEs, within the 1 GiB default) resets the default window and
            // lands at dma_win_addr = 0. On a 64K kernel the plan takes 64 KiB TCEs: a real DDW, beside the
            // default window QEMU still holds (the kernel removes only its property), at 1 << 59.
            boolean defaultShaped = p.pageShift() == 12 && s.window().size() <= 0x40000000L;
            assertEquals(defaultShaped ? 0 : Fixture.DDW_START, s.window().start(),
                    "QEMU: where a lone window of " + p.pageShift() + "-bit TCE pages lands");
            Platforms.RoundTrip r = Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
            assertTrue(s.window().contains(r.srcIova()));
        }
    }

    @ContractTest
    void hugetlbSession_2MTces_roundTrips(Fixture f) throws VfioException {
        Vfio vfio = f.vfio();
        try (DmaSession s = DmaSession.open(vfio, 0, SessionOptions.defaults().withBacking(Backing.HUGETLB)
                        .withBudget(4L << 20))) {
            assertEquals(21, s.plan().pageShift());
            try {
                Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
            } catch (VfioSystemException e) {
                assumeFalse(e.errno() == Errno.ENOMEM, () -> "no free huge pages on this host: " + e.getMessage());
                throw e;
            }
        }
    }

    @ContractTest
    void keepingTheDefaultWindow_ddwAt0x0800000000000000(Fixture f) throws VfioException {
        SessionOptions o = SessionOptions.defaults().withBudget(1L << 20)
                .withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true));
        Vfio vfio = f.vfio();
        try (DmaSession s = DmaSession.open(vfio, 0, o)) {
            assertEquals(0x0800000000000000L, s.window().start());
            Platforms.eduRoundTrip(s, VfioHost.firstDevice(vfio, 0));
        }
    }

    @ContractTest
    void planReport_probe_matchesWhatTheSessionDoes(Fixture f) throws VfioException {
        Vfio vfio = f.vfio();
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
