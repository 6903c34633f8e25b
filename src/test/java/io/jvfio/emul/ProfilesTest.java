package io.jvfio.emul;

import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.emul.Emu.G;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The named platforms. */
class ProfilesTest {

    static MemorySegment info(Emu e) {
        MemorySegment i = e.info(32);
        assertEquals(0, e.tceInfo(i));
        return i;
    }

    @Test
    void sriovVfSingleWindow() {
        try (Emu e = new Emu(Profile.named(Profile.SRIOV_VF))) {
            e.setup(7);
            MemorySegment i = info(e);
            assertEquals(1, vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(i));
            MemorySegment buf = e.alloc(8 * M, true);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.remove(0), "remove the (pending) default window first");
            assertEquals(0, e.create(21, 4 * G, 1));
            assertEquals(0, e.lastStart, "the DDW takes slot 0, at dma_win_addr");
            assertEquals(0, e.map(0, 2 * M, buf));
        }
        try (Emu e = new Emu(Profile.named(Profile.SRIOV_VF))) {
            e.setup(7);
            assertEquals(-ENODEV, e.create(21, 4 * G, 1), "the default window occupies the only window: RTAS create fails");
            assertEquals(Set.of(0), e.state().failedDdwGroups());
            assertEquals(0, e.remove(0));
            assertEquals(-ENODEV, e.create(21, 4 * G, 1), "sticky until a new backend");
        }
    }

    @Test
    void noDdw() {
        try (Emu e = new Emu(Profile.named(Profile.NO_DDW))) {
            e.setup(7);
            MemorySegment i = info(e);
            assertEquals(1, vfio_iommu_spapr_tce_info.flags.get(i));
            assertEquals(0x1000L, vfio_iommu_spapr_tce_info.ddw_pgsizes.get(i));
            assertEquals(-1, vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(i), "0xFFFFFFFF");
            assertEquals(0, vfio_iommu_spapr_tce_info.ddw_levels.get(i));
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(-EINVAL, e.map(0, 0x1000, buf), "the lazy default window goes the DDW way: no ibm,ddw-applicable");
            assertEquals(-ENODEV, e.map(0, 0x1000, buf), "and the PE is on the failed list now");
            assertEquals(-ENODEV, e.create(16, G, 1), "CREATE first retries the pending default window: failed list");
        }
        try (Emu e = new Emu(Profile.named(Profile.NO_DDW))) {
            e.setup(2);
            MemorySegment i = info(e);
            assertEquals(0, vfio_iommu_spapr_tce_info.flags.get(i), "v1 never reports DDW");
            assertEquals(0, e.be.iommuEnable(e.container));
            assertEquals(-EINVAL, e.map(0, 0x1000, e.alloc(M, false)));
        }
    }

    @Test
    void bigWindow() {
        try (Emu e = new Emu(Profile.named(Profile.BIG_WINDOW))) {
            e.setup(7);
            assertEquals(0x80000000, vfio_iommu_spapr_tce_info.dma32_window_size.get(info(e)));
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.map(0x7ffff000L, 0x1000, buf));
            assertEquals(0, e.create(21, 4 * G, 1));
            assertEquals(0x800000000000000L, e.lastStart);
        }
    }

    @Test
    void twoPhbs() {
        try (Emu e = new Emu(Profile.named(Profile.QEMU_PSERIES_2PHB))) {
            int g1 = e.openGroup(1);
            assertEquals(0, e.be.groupSetContainer(g1, e.container));
            assertEquals(0, e.be.setIommu(e.container, 7));
            assertTrue(e.be.groupGetDeviceFd(g1, "0001:00:00.0") > 0);
            assertEquals(-ENODEV, e.be.groupGetDeviceFd(g1, "0000:00:00.0"));
        }
    }

    @Test
    void builderAndValidation() {
        Profile p = Profile.builder().name("custom").dma32WindowSize(0x10000000L).hugePages(0).build();
        assertEquals("custom", p.name());
        assertEquals(1, p.groups().size());
        try (EmulatedBackend b = new EmulatedBackend(p)) {
            assertEquals("emulated custom (ppc64le)", b.description());
            io.jvfio.backend.ErrnoException x = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jvfio.backend.ErrnoException.class,
                    () -> b.mmapAnonymous(2 * M, true, java.lang.foreign.Arena.global()));
            assertEquals(io.jvfio.backend.Errno.ENOMEM, x.errno(), "no huge pages reserved");
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Profile.builder().dma32WindowSize(3 * M).build());
        assertEquals(p, p.toBuilder().build());
    }
}
