package io.jvfio.emul;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_group_status;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.ErrnoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test helper: one emulated platform, its container, and struct-building shortcuts over the seam. */
final class Emu implements AutoCloseable {
    static final int READ = VfioUapi.VFIO_DMA_MAP_FLAG_READ;
    static final int WRITE = VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
    static final int RW = READ | WRITE;
    static final long K = 1024, M = K * K, G = M * K;

    final EmulatedBackend be;
    final Arena arena = Arena.ofShared();
    final int container;
    long lastStart;

    Emu() {
        this(Profile.qemuPseries());
    }

    Emu(Profile p) {
        be = new EmulatedBackend(p);
        container = be.open("/dev/vfio/vfio");
    }

    int openGroup(int n) {
        return be.open("/dev/vfio/" + n);
    }

    long groupFlags(int group) {
        MemorySegment s = arena.allocate(vfio_group_status.LAYOUT);
        vfio_group_status.argsz.set(s, (int) vfio_group_status.SIZE);
        long r = be.groupGetStatus(group, s);
        return r < 0 ? r : vfio_group_status.flags.get(s);
    }

    /** open group 0, set container, set iommu. */
    int setup(int type) {
        int g = openGroup(0);
        check(be.groupSetContainer(g, container));
        check(be.setIommu(container, type));
        return g;
    }

    static void check(long r) {
        if (r != 0) {
            throw new AssertionError("expected 0, got " + r);
        }
    }

    MemorySegment info(int argsz) {
        MemorySegment s = arena.allocate(64);
        s.fill((byte) 0xff);
        vfio_iommu_spapr_tce_info.argsz.set(s, argsz);
        return s;
    }

    long tceInfo(MemorySegment s) {
        return be.spaprTceGetInfo(container, s);
    }

    MemorySegment alloc(long size, boolean huge) {
        try {
            return be.mmapAnonymous(size, huge, arena);
        } catch (ErrnoException e) {
            throw new AssertionError(e);
        }
    }

    long map(long iova, long size, long vaddr, int flags) {
        MemorySegment s = arena.allocate(vfio_iommu_type1_dma_map.LAYOUT);
        vfio_iommu_type1_dma_map.argsz.set(s, (int) vfio_iommu_type1_dma_map.SIZE);
        vfio_iommu_type1_dma_map.flags.set(s, flags);
        vfio_iommu_type1_dma_map.vaddr.set(s, vaddr);
        vfio_iommu_type1_dma_map.iova.set(s, iova);
        vfio_iommu_type1_dma_map.size.set(s, size);
        return be.iommuMapDma(container, s);
    }

    long map(long iova, long size, MemorySegment buf) {
        return map(iova, size, buf.address(), RW);
    }

    long unmap(long iova, long size) {
        MemorySegment s = arena.allocate(vfio_iommu_type1_dma_unmap.LAYOUT);
        vfio_iommu_type1_dma_unmap.argsz.set(s, (int) vfio_iommu_type1_dma_unmap.SIZE);
        vfio_iommu_type1_dma_unmap.iova.set(s, iova);
        vfio_iommu_type1_dma_unmap.size.set(s, size);
        return be.iommuUnmapDma(container, s);
    }

    MemorySegment reg(long vaddr, long size) {
        MemorySegment s = arena.allocate(vfio_iommu_spapr_register_memory.LAYOUT);
        vfio_iommu_spapr_register_memory.argsz.set(s, (int) vfio_iommu_spapr_register_memory.SIZE);
        vfio_iommu_spapr_register_memory.vaddr.set(s, vaddr);
        vfio_iommu_spapr_register_memory.size.set(s, size);
        return s;
    }

    long register(long vaddr, long size) {
        return be.spaprRegisterMemory(container, reg(vaddr, size));
    }

    long register(MemorySegment buf) {
        return register(buf.address(), buf.byteSize());
    }

    long unregister(long vaddr, long size) {
        return be.spaprUnregisterMemory(container, reg(vaddr, size));
    }

    long unregister(MemorySegment buf) {
        return unregister(buf.address(), buf.byteSize());
    }

    /** CREATE; the start address goes to {@link #lastStart}. */
    long create(int pageShift, long windowSize, int levels) {
        MemorySegment s = arena.allocate(vfio_iommu_spapr_tce_create.LAYOUT);
        vfio_iommu_spapr_tce_create.argsz.set(s, (int) vfio_iommu_spapr_tce_create.SIZE);
        vfio_iommu_spapr_tce_create.page_shift.set(s, pageShift);
        vfio_iommu_spapr_tce_create.window_size.set(s, windowSize);
        vfio_iommu_spapr_tce_create.levels.set(s, levels);
        vfio_iommu_spapr_tce_create.start_addr.set(s, 0xdeadL);
        long r = be.spaprTceCreate(container, s);
        lastStart = vfio_iommu_spapr_tce_create.start_addr.get(s);
        return r;
    }

    long remove(long start) {
        MemorySegment s = arena.allocate(vfio_iommu_spapr_tce_remove.LAYOUT);
        vfio_iommu_spapr_tce_remove.argsz.set(s, (int) vfio_iommu_spapr_tce_remove.SIZE);
        vfio_iommu_spapr_tce_remove.start_addr.set(s, start);
        return be.spaprTceRemove(container, s);
    }

    MemorySegment deviceInfo(int dev) {
        MemorySegment s = arena.allocate(vfio_device_info.LAYOUT);
        vfio_device_info.argsz.set(s, (int) vfio_device_info.SIZE);
        long r = be.deviceGetInfo(dev, s);
        if (r != 0) {
            throw new AssertionError("DEVICE_GET_INFO " + r);
        }
        return s;
    }

    MemorySegment regionInfo(int dev, int index, long[] ret) {
        MemorySegment s = arena.allocate(vfio_region_info.LAYOUT);
        vfio_region_info.argsz.set(s, (int) vfio_region_info.SIZE);
        vfio_region_info.index.set(s, index);
        ret[0] = be.deviceGetRegionInfo(dev, s);
        return s;
    }

    long setIrqEventfd(int dev, int index, int efd) {
        MemorySegment s = arena.allocate(vfio_irq_set.SIZE + 4);
        vfio_irq_set.argsz.set(s, (int) vfio_irq_set.SIZE + 4);
        vfio_irq_set.flags.set(s, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER);
        vfio_irq_set.index.set(s, index);
        vfio_irq_set.start.set(s, 0);
        vfio_irq_set.count.set(s, 1);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_irq_set.SIZE, efd);
        return be.deviceSetIrqs(dev, s);
    }

    int configRead16(int dev, int off) {
        MemorySegment b = arena.allocate(2);
        long r = be.pread(dev, b, (7L << 40) + off);
        if (r != 2) {
            throw new AssertionError("pread config " + r);
        }
        return Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
    }

    void configWrite16(int dev, int off, int v) {
        MemorySegment b = arena.allocate(2);
        b.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) v);
        long r = be.pwrite(dev, b, (7L << 40) + off);
        if (r != 2) {
            throw new AssertionError("pwrite config " + r);
        }
    }

    EmulatorState state() {
        return be.inspect();
    }

    @Override
    public void close() {
        be.close();
        arena.close();
    }
}
