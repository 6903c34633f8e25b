package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_iommu_spapr_tce_create}: VFIO_IOMMU_SPAPR_TCE_CREATE; start_addr is out. */
public final class vfio_iommu_spapr_tce_create {
    private vfio_iommu_spapr_tce_create() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("page_shift"), Ctypes.u32("__resv1"),
            Ctypes.u64("window_size"), Ctypes.u32("levels"), Ctypes.u32("__resv2"), Ctypes.u64("start_addr")).withName("vfio_iommu_spapr_tce_create");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 page_shift = U32.of(LAYOUT, "page_shift");
    public static final U32 __resv1 = U32.of(LAYOUT, "__resv1");
    public static final U64 window_size = U64.of(LAYOUT, "window_size");
    public static final U32 levels = U32.of(LAYOUT, "levels");
    public static final U32 __resv2 = U32.of(LAYOUT, "__resv2");
    public static final U64 start_addr = U64.of(LAYOUT, "start_addr");
}
