package io.jvfio;

import io.jvfio.abi.U64;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * A {@link DmaMapper}'s MAP and UNMAP argument structs and errno capture buffer: one segment, one
 * allocation per mapper, written on the mapper's thread only. Each struct keeps its last arguments,
 * and a call stores only the fields that differ from what the struct holds: argsz (and UNMAP's flags)
 * never change, and a driver maps the same buffer again and again. Under QEMU's TCG a store through
 * the segment API costs hundreds of guest instructions with the guest's C1 (the layout's var handle
 * is not a constant to it), so a store saved is a good part of a call.
 */
final class MapperArgs {
    private static final StructLayout ARGS = MemoryLayout.structLayout(
            vfio_iommu_type1_dma_map.LAYOUT.withName("map"), vfio_iommu_type1_dma_unmap.LAYOUT.withName("unmap"),
            VfioBackend.errnoBufferLayout().withName("errno"));

    private final MemorySegment map;
    private final MemorySegment unmap;
    private final MemorySegment errno;
    /** What the structs hold (both were filled with zeros but argsz). */
    private int mapFlags;
    private long mapVaddr;
    private long mapIova;
    private long mapSize;
    private long unmapIova;
    private long unmapSize;

    MapperArgs() {
        // An automatic arena: freed with the mapper, and passing it to a downcall acquires nothing.
        MemorySegment args = Arena.ofAuto().allocate(ARGS);
        map = vfio_iommu_type1_dma_map.fill(args.asSlice(offset("map"), vfio_iommu_type1_dma_map.LAYOUT), 0, 0, 0, 0);
        unmap = vfio_iommu_type1_dma_unmap.fill(args.asSlice(offset("unmap"), vfio_iommu_type1_dma_unmap.LAYOUT), 0, 0);
        errno = args.asSlice(offset("errno"), VfioBackend.errnoBufferLayout());
    }

    private static long offset(String member) {
        return ARGS.byteOffset(MemoryLayout.PathElement.groupElement(member));
    }

    /** The MAP struct holding these arguments. */
    MemorySegment map(int flags, long vaddr, long iova, long size) {
        if (flags != mapFlags) {
            vfio_iommu_type1_dma_map.flags.set(map, flags);
            mapFlags = flags;
        }
        mapVaddr = store(vfio_iommu_type1_dma_map.vaddr, map, mapVaddr, vaddr);
        mapIova = store(vfio_iommu_type1_dma_map.iova, map, mapIova, iova);
        mapSize = store(vfio_iommu_type1_dma_map.size, map, mapSize, size);
        return map;
    }

    /** The UNMAP struct holding these arguments. */
    MemorySegment unmap(long iova, long size) {
        unmapIova = store(vfio_iommu_type1_dma_unmap.iova, unmap, unmapIova, iova);
        unmapSize = store(vfio_iommu_type1_dma_unmap.size, unmap, unmapSize, size);
        return unmap;
    }

    /** Stores {@code v} in {@code field} of {@code s} unless it holds it already ({@code held}); returns {@code v}. */
    private static long store(U64 field, MemorySegment s, long held, long v) {
        if (v != held) {
            field.set(s, v);
        }
        return v;
    }

    /** The errno capture buffer, for the seam's caller-buffer overloads. */
    MemorySegment errno() {
        return errno;
    }
}
