package io.jvfio.guest.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.backend.Errno;
import io.jvfio.backend.KernelFix;
import io.jvfio.harness.junit.PseriesGuest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A container reused across groups (CVE-2025-21713) on the real 6.12 kernel, two PHBs (groups 0 and 1):
 * the API's guard goes by release, and 6.12.95 carries the fix, so the call goes through and the kernel
 * answers EPERM (pSeries cannot put the container's window on the second group). The affected side
 * (6.11 to 6.12.12) is covered on the emulator with a faked release ({@code KernelGuardsTest}).
 * {@link SharedContainerNewestGuestTest} runs the same on the newest kernel.
 */
@Tag("guest")
@PseriesGuest(devices = {"edu", "edu"}, phbs = 2)
class SharedContainerGuestTest {

    @Test
    void secondGroupOntoAContainerWithAWindow_letThroughOnAFixedKernel(Vfio vfio) throws Exception {
        secondGroupLetThrough(vfio);
    }

    /** The let-through path: SET_CONTAINER of group 1 reaches the kernel, which refuses it with EPERM. */
    static void secondGroupLetThrough(Vfio vfio) throws Exception {
        String release = vfio.backend().kernelRelease();
        Assumptions.assumeFalse(KernelFix.CVE_2025_21713.affects(release),
                "skipped: " + release + " has CVE-2025-21713; the API refuses this sequence there");
        try (Group g0 = vfio.openGroup(0); Group g1 = vfio.openGroup(1); Container c = vfio.openContainer();
                DmaBuffer b = vfio.allocate(1 << 20, false)) {
            g0.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            c.registerMemory(b.segment());
            c.map(0x100000, b.segment(), DmaDirection.BIDIRECTIONAL); // the kernel makes the default window
            VfioException e = assertThrows(VfioException.class, () -> g1.attach(c), release);
            assertFalse(e instanceof VfioGuardException, "not refused by the API on " + release + ": " + e.getMessage());
            assertEquals(Errno.EPERM, e.errno(), release + ": " + e.getMessage());
            c.unmap(0x100000, 1 << 20);
            c.unregisterMemory(b.segment());
            // group 1 in a container of its own works
            try (Container own = vfio.openContainer()) {
                g1.attach(own);
                own.setIommu(IommuType.SPAPR_TCE_V2);
                g1.detach();
            }
        }
    }
}
