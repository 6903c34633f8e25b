package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_iommu_type1_dma_unmap}: VFIO_IOMMU_UNMAP_DMA; SPAPR never writes size back and ignores the flexible data[]. */
public final class vfio_iommu_type1_dma_unmap {
    private vfio_iommu_type1_dma_unmap() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u64("iova"), Ctypes.u64("size")).withName("vfio_iommu_type1_dma_unmap");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U64 iova = U64.of(LAYOUT, "iova");
    public static final U64 size = U64.of(LAYOUT, "size");

    /** The kernel's {@code minsz} for VFIO_IOMMU_UNMAP_DMA: {@code offsetofend(size)}. */
    public static final long MINSZ = size.end();

    /** Fills {@code s} as a complete VFIO_IOMMU_UNMAP_DMA argument (no flags). */
    public static MemorySegment fill(MemorySegment s, long busAddress, long bytes) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        iova.set(s, busAddress);
        size.set(s, bytes);
        return s;
    }
}
