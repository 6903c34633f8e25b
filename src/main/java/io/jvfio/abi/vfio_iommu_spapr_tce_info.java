package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_iommu_spapr_tce_info}: VFIO_IOMMU_SPAPR_TCE_GET_INFO; the kernel needs argsz >= 16 and writes ddw only when argsz >= 32. */
public final class vfio_iommu_spapr_tce_info {
    private vfio_iommu_spapr_tce_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("dma32_window_start"),
            Ctypes.u32("dma32_window_size"), vfio_iommu_spapr_tce_ddw_info.LAYOUT.withName("ddw")).withName("vfio_iommu_spapr_tce_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 dma32_window_start = U32.of(LAYOUT, "dma32_window_start");
    public static final U32 dma32_window_size = U32.of(LAYOUT, "dma32_window_size");
    public static final U64 ddw_pgsizes = U64.of(LAYOUT, "ddw", "pgsizes");
    public static final U32 ddw_max_dynamic_windows_supported = U32.of(LAYOUT, "ddw", "max_dynamic_windows_supported");
    public static final U32 ddw_levels = U32.of(LAYOUT, "ddw", "levels");

    /** The kernel's {@code minsz} for VFIO_IOMMU_SPAPR_TCE_GET_INFO: {@code offsetofend(dma32_window_size)}. */
    public static final long MINSZ = dma32_window_size.end();
    /** The {@code minsz} once argsz covers the DDW part: {@code offsetofend(ddw)}. */
    public static final long MINSZ_DDW = ddw_levels.end();

    /** Fills {@code s} as a complete VFIO_IOMMU_SPAPR_TCE_GET_INFO argument. */
    public static MemorySegment fill(MemorySegment s) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        return s;
    }
}
