package io.jvfio.emul;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.backend.Errno.ENOTTY;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;
import static io.jvfio.emul.Emu.G;
import static io.jvfio.emul.Emu.K;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The semantics of /work/shared/examples/*.scn, by direct seam calls: the same answers as the
 * kernel's {@code *.kernel.out} (the scenario language itself is another component's).
 */
class ExampleScenariosTest {

    @Test
    void basicV1() {
        try (Emu e = new Emu()) {
            int g = e.openGroup(0); // 1: open-group 0 -> ok
            assertEquals(4, g);
            assertEquals(0, e.be.groupSetContainer(g, e.container)); // 2
            assertEquals(0, e.be.setIommu(e.container, 2)); // 3: set-iommu v1
            MemorySegment info = e.info(32); // 4: tce-info
            assertEquals(0, e.tceInfo(info));
            assertEquals(0x0, vfio_iommu_spapr_tce_info.flags.get(info));
            assertEquals(0x0, vfio_iommu_spapr_tce_info.dma32_window_start.get(info));
            assertEquals(0x40000000, vfio_iommu_spapr_tce_info.dma32_window_size.get(info));
            assertEquals(0x0, vfio_iommu_spapr_tce_info.ddw_pgsizes.get(info));
            assertEquals(0, vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(info));
            assertEquals(0, vfio_iommu_spapr_tce_info.ddw_levels.get(info));
            MemorySegment buf = e.alloc(4 * M, false); // 5
            assertEquals(-EPERM, e.map(0x100000, 64 * K, buf)); // 6
            assertEquals(0, e.be.iommuEnable(e.container)); // 7
            assertEquals(-EBUSY, e.be.iommuEnable(e.container)); // 8
            assertEquals(0, e.map(0x100000, 64 * K, buf)); // 9
            assertEquals(0, e.unmap(0x100000, 64 * K)); // 10
            assertEquals(-ENOTTY, e.create(16, 4 * G, 1)); // 11
            assertEquals(-ENOTTY, e.register(buf)); // 12
            assertEquals(0, e.be.iommuDisable(e.container)); // 13
            assertEquals(0, e.be.groupUnsetContainer(g)); // 14
        }
    }

    @Test
    void basicV2() {
        try (Emu e = new Emu()) {
            assertEquals(0, e.be.getApiVersion(e.container)); // 1
            assertEquals(1, e.be.checkExtension(e.container, 7)); // 2
            int g = e.openGroup(0); // 3
            assertEquals(0x1, e.groupFlags(g)); // 4
            assertEquals(0, e.be.groupSetContainer(g, e.container)); // 5
            assertEquals(0x3, e.groupFlags(g)); // 6
            assertEquals(0, e.be.setIommu(e.container, 7)); // 7
            MemorySegment info = e.info(32); // 8
            assertEquals(0, e.tceInfo(info));
            assertEquals(0x1, vfio_iommu_spapr_tce_info.flags.get(info));
            assertEquals(0x0, vfio_iommu_spapr_tce_info.dma32_window_start.get(info));
            assertEquals(0x40000000, vfio_iommu_spapr_tce_info.dma32_window_size.get(info));
            assertEquals(0x1211000L, vfio_iommu_spapr_tce_info.ddw_pgsizes.get(info));
            assertEquals(2, vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(info));
            assertEquals(1, vfio_iommu_spapr_tce_info.ddw_levels.get(info));
            MemorySegment buf = e.alloc(32 * M, false); // 9
            MemorySegment huge = e.alloc(8 * M, true); // 10
            assertEquals(-EPERM, e.map(0, 64 * K, buf)); // 11
            assertEquals(0, e.register(buf)); // 12
            assertEquals(0, e.register(huge)); // 13
            assertEquals(0, e.map(0x100000, M, buf)); // 14
            assertEquals(0, e.unmap(0x100000, M)); // 15
            assertEquals(-ENXIO, e.map(0x40000000L, 64 * K, buf)); // 16
            assertEquals(0, e.create(16, 4 * G, 1)); // 17
            assertEquals(0x800000000000000L, e.lastStart);
            assertEquals(0, e.map(0x800000000000000L, 2 * M, huge)); // 18
            assertEquals(0, e.unmap(0x800000000000000L, 2 * M)); // 19
            assertEquals(-ENOSPC, e.create(12, G, 1)); // 20
            assertEquals(0, e.remove(0x800000000000000L)); // 21
            assertEquals(0, e.unregister(huge)); // 22
            assertEquals(0, e.unregister(buf)); // 23
            assertEquals(0, e.be.groupUnsetContainer(g)); // 24
            EmulatorState s = e.state();
            assertEquals(0, s.preregRegions().size());
            assertEquals(0, s.lockedVmBytes(), "everything un-charged after teardown");
        }
    }
}
