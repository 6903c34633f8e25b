package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_iommu_spapr_tce_ddw_info}: the DDW part of GET_INFO. */
public final class vfio_iommu_spapr_tce_ddw_info {
    private vfio_iommu_spapr_tce_ddw_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u64("pgsizes"), Ctypes.u32("max_dynamic_windows_supported"), Ctypes.u32("levels")).withName("vfio_iommu_spapr_tce_ddw_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U64 pgsizes = U64.of(LAYOUT, "pgsizes");
    public static final U32 max_dynamic_windows_supported = U32.of(LAYOUT, "max_dynamic_windows_supported");
    public static final U32 levels = U32.of(LAYOUT, "levels");
}
