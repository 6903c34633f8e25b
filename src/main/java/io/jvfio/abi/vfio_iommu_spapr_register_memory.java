package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_iommu_spapr_register_memory}: VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY. */
public final class vfio_iommu_spapr_register_memory {
    private vfio_iommu_spapr_register_memory() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u64("vaddr"), Ctypes.u64("size")).withName("vfio_iommu_spapr_register_memory");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U64 vaddr = U64.of(LAYOUT, "vaddr");
    public static final U64 size = U64.of(LAYOUT, "size");

    /** The kernel's {@code minsz} for VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY: {@code offsetofend(size)}. */
    public static final long MINSZ = size.end();

    /** Fills {@code s} as a complete (UN)REGISTER_MEMORY argument. */
    public static MemorySegment fill(MemorySegment s, long userAddress, long bytes) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        vaddr.set(s, userAddress);
        size.set(s, bytes);
        return s;
    }
}
