package io.jvfio.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.VfioIoctlException;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.Errno;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.KernelBugException;
import io.jvfio.emul.Profile;
import io.jvfio.toolkit.VfioHost;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The API's guards against known kernel bugs go by the release the backend reaches: on the emulator
 * the release its profile models, so both sides of each guard run here with a chosen release.
 */
class KernelGuardsTest {
    private static final long WINDOW_END = 0x40000000L;

    private static Vfio on(String profile, String release) {
        return VfioHost.emulated(Profile.named(profile).withKernel(release));
    }

    @Test
    void unmapLeavingTheWindow_refusedWithoutTheRangeCheck() throws Exception {
        try (Vfio vfio = on(Profile.QEMU_PSERIES, "6.12.95"); Group g = vfio.openGroup(0);
                Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false)) {
            c.registerMemory(b.segment());
            c.map(WINDOW_END - 0x10000, b.address(), 0x10000, DmaDirection.BIDIRECTIONAL);
            VfioGuardException e = assertThrows(VfioGuardException.class, () -> c.unmap(WINDOW_END - 0x10000, 0x20000));
            assertTrue(e.getMessage().contains("6.12.95") && e.getMessage().contains("0b271f7d7f5e")
                    && e.getMessage().contains("7.2.8"), e.getMessage());
            c.unmap(WINDOW_END - 0x10000, 0x10000);
            c.unregisterMemory(b.segment());
        }
    }

    @Test
    void unmapLeavingTheWindow_letThroughWithTheRangeCheck_andTheKernelRefuses() throws Exception {
        try (Vfio vfio = on(Profile.QEMU_PSERIES, "7.2.12"); Group g = vfio.openGroup(0);
                Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false)) {
            c.registerMemory(b.segment());
            c.map(WINDOW_END - 0x10000, b.address(), 0x10000, DmaDirection.BIDIRECTIONAL);
            EmulatedBackend emu = (EmulatedBackend) vfio.backend();
            long mapped = mappedTces(emu);
            VfioIoctlException e = assertThrows(VfioIoctlException.class, () -> c.unmap(WINDOW_END - 0x10000, 0x20000));
            assertEquals(0, e.errno(), "the kernel answered 1, not an errno");
            assertTrue(e.getMessage().contains("leaves its window"), e.getMessage());
            // The far one that hung 6.12 comes back at once too.
            assertThrows(VfioIoctlException.class, () -> c.unmap(0, 0xfffffffffffff000L));
            assertTrue(mapped > 0, "mapped TCEs: " + mapped);
            assertEquals(mapped, mappedTces(emu), "the refused UNMAPs cleared nothing");
            c.unmap(WINDOW_END - 0x10000, 0x10000);
            c.unregisterMemory(b.segment());
        }
    }

    @Test
    void secondGroupOntoAContainerWithAWindow_refusedOnCve202521713Kernels() throws Exception {
        try (Vfio vfio = on(Profile.QEMU_PSERIES_2PHB, "6.12.12"); Group g0 = vfio.openGroup(0);
                Group g1 = vfio.openGroup(1); Container c = MisuseTest.v2(vfio, g0)) {
            c.createWindow(16, 256L << 20, 1);
            VfioGuardException e = assertThrows(VfioGuardException.class, () -> g1.attach(c));
            assertTrue(e.getMessage().contains("CVE-2025-21713") && e.getMessage().contains("6.12.12")
                    && e.getMessage().contains("6.12.13"), e.getMessage());
            assertEquals(VfioIoctl.VFIO_GROUP_SET_CONTAINER.request(vfio.backend().arch()), e.request());
        }
    }

    @Test
    void secondGroupOntoAContainerWithAWindow_letThroughOnAFixedKernel_andTheKernelSaysEperm() throws Exception {
        for (String release : new String[] {"6.12.13", "6.12.95", "7.2.12"}) {
            try (Vfio vfio = on(Profile.QEMU_PSERIES_2PHB, release); Group g0 = vfio.openGroup(0);
                    Group g1 = vfio.openGroup(1); Container c = MisuseTest.v2(vfio, g0)) {
                c.createWindow(16, 256L << 20, 1);
                VfioException e = assertThrows(VfioException.class, () -> g1.attach(c), release);
                assertEquals(Errno.EPERM, e.errno(), release + ": " + e.getMessage());
            }
        }
    }

    @Test
    void secondGroupBeforeAnyWindow_letThroughOnCve202521713Kernels() throws Exception {
        try (Vfio vfio = on(Profile.QEMU_PSERIES_2PHB, "6.12.12"); Group g0 = vfio.openGroup(0);
                Group g1 = vfio.openGroup(1); Container c = MisuseTest.v2(vfio, g0)) {
            g1.attach(c); // the default window is still pending: the kernel has no table to set on group 1
            g1.detach();
        }
    }

    /** The model of an affected kernel crashes where the guard refuses: the raw seam still issues the call. */
    @Test
    void theModelOfAnAffectedKernelOopses() {
        try (EmulatedBackend b = new EmulatedBackend(Profile.named(Profile.QEMU_PSERIES_2PHB).withKernel("6.12.12"));
                Arena a = Arena.ofConfined()) {
            int c = b.open("/dev/vfio/vfio");
            int g0 = b.open("/dev/vfio/0");
            int g1 = b.open("/dev/vfio/1");
            assertEquals(0, b.groupSetContainer(g0, c));
            assertEquals(0, b.setIommu(c, io.jvfio.abi.VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU));
            MemorySegment cr = io.jvfio.abi.vfio_iommu_spapr_tce_create.fill(
                    a.allocate(io.jvfio.abi.vfio_iommu_spapr_tce_create.LAYOUT), 16, 256L << 20, 1);
            assertEquals(0, b.spaprTceCreate(c, cr));
            KernelBugException e = assertThrows(KernelBugException.class, () -> b.groupSetContainer(g1, c));
            assertTrue(e.getMessage().contains("CVE-2025-21713"), e.getMessage());
        }
    }

    /** TCEs mapped in the default window of the (one) container. */
    private static long mappedTces(EmulatedBackend emu) {
        return emu.inspect().containers().get(0).window(0).mappedTces();
    }
}
