package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_iommu_spapr_tce_remove}: VFIO_IOMMU_SPAPR_TCE_REMOVE. */
public final class vfio_iommu_spapr_tce_remove {
    private vfio_iommu_spapr_tce_remove() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u64("start_addr")).withName("vfio_iommu_spapr_tce_remove");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U64 start_addr = U64.of(LAYOUT, "start_addr");

    /** The kernel's {@code minsz} for VFIO_IOMMU_SPAPR_TCE_REMOVE: {@code offsetofend(start_addr)}. */
    public static final long MINSZ = start_addr.end();

    /** Fills {@code s} as a complete VFIO_IOMMU_SPAPR_TCE_REMOVE argument. */
    public static MemorySegment fill(MemorySegment s, long windowStart) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        start_addr.set(s, windowStart);
        return s;
    }
}
