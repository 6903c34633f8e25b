package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_iommu_type1_dma_map}: VFIO_IOMMU_MAP_DMA (SPAPR uses the type1 struct). */
public final class vfio_iommu_type1_dma_map {
    private vfio_iommu_type1_dma_map() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u64("vaddr"), Ctypes.u64("iova"),
            Ctypes.u64("size")).withName("vfio_iommu_type1_dma_map");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U64 vaddr = U64.of(LAYOUT, "vaddr");
    public static final U64 iova = U64.of(LAYOUT, "iova");
    public static final U64 size = U64.of(LAYOUT, "size");

    /** The kernel's {@code minsz} for VFIO_IOMMU_MAP_DMA: {@code offsetofend(size)}. */
    public static final long MINSZ = size.end();

    /** Fills {@code s} as a complete VFIO_IOMMU_MAP_DMA argument. */
    public static MemorySegment fill(MemorySegment s, int mapFlags, long userAddress, long busAddress, long bytes) {
        argsz.set(s, (int) SIZE);
        flags.set(s, mapFlags);
        vaddr.set(s, userAddress);
        iova.set(s, busAddress);
        size.set(s, bytes);
        return s;
    }
}
