package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

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

    /** The kernel's {@code minsz} for VFIO_IOMMU_SPAPR_TCE_CREATE: {@code offsetofend(start_addr)}. */
    public static final long MINSZ = start_addr.end();

    /** Fills {@code s} as a complete VFIO_IOMMU_SPAPR_TCE_CREATE argument; start_addr comes back. */
    public static MemorySegment fill(MemorySegment s, int pageShift, long windowSize, int nLevels) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        page_shift.set(s, pageShift);
        __resv1.set(s, 0);
        window_size.set(s, windowSize);
        levels.set(s, nLevels);
        __resv2.set(s, 0);
        start_addr.set(s, 0);
        return s;
    }
}
