package io.jvfio.bench;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The emulator ({@code io.jvfio.emul}, qemu-pseries profile) for the benchmarks, and a minimal
 * v2 container over its raw seam. The emulator is constructed reflectively so that this package
 * compiles on a tree where it has not landed yet; everything after construction is typed.
 */
final class Emulator {
    private Emulator() {}

    static final String PROFILE = "qemu-pseries";
    static final String CONTAINER = "/dev/vfio/vfio";
    static final String GROUP = "/dev/vfio/0";
    static final int RW = VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;

    /** {@code new io.jvfio.emul.EmulatedBackend(io.jvfio.emul.Profile.named("qemu-pseries"))}. */
    static VfioBackend newBackend() {
        try {
            Class<?> profile = Class.forName("io.jvfio.emul.Profile");
            Object p = profile.getMethod("named", String.class).invoke(null, PROFILE);
            return (VfioBackend) Class.forName("io.jvfio.emul.EmulatedBackend").getConstructor(profile).newInstance(p);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the emulator (io.jvfio.emul) is not on the class path", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct the emulator", e);
        }
    }

    static boolean available() {
        try {
            Class.forName("io.jvfio.emul.EmulatedBackend", false, Emulator.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    static long ok(long r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + ": errno " + -r);
        }
        return r;
    }

    /** A v2 container with group 0 attached, straight on the seam. */
    static final class RawContainer implements AutoCloseable {
        final VfioBackend b;
        final int container;
        final int group;
        final Arena arena = Arena.ofShared();

        RawContainer(VfioBackend b) {
            this.b = b;
            container = (int) ok(b.open(CONTAINER), "open container");
            group = (int) ok(b.open(GROUP), "open group 0");
            ok(b.groupSetContainer(group, container), "SET_CONTAINER");
            ok(b.setIommu(container, VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU), "SET_IOMMU v2");
        }

        /** Anonymous memory, registered (REGISTER_MEMORY). */
        MemorySegment registered(long size) {
            MemorySegment mem;
            try {
                mem = b.mmapAnonymous(size, false, arena);
            } catch (ErrnoException e) {
                throw new IllegalStateException(e);
            }
            MemorySegment reg = arena.allocate(vfio_iommu_spapr_register_memory.LAYOUT);
            vfio_iommu_spapr_register_memory.argsz.set(reg, (int) vfio_iommu_spapr_register_memory.SIZE);
            vfio_iommu_spapr_register_memory.vaddr.set(reg, mem.address());
            vfio_iommu_spapr_register_memory.size.set(reg, size);
            ok(b.spaprRegisterMemory(container, reg), "REGISTER_MEMORY " + size);
            return mem;
        }

        /** TCE_CREATE: the window's start. */
        long createWindow(int pageShift, long windowSize) {
            MemorySegment s = arena.allocate(vfio_iommu_spapr_tce_create.LAYOUT);
            vfio_iommu_spapr_tce_create.argsz.set(s, (int) vfio_iommu_spapr_tce_create.SIZE);
            vfio_iommu_spapr_tce_create.page_shift.set(s, pageShift);
            vfio_iommu_spapr_tce_create.window_size.set(s, windowSize);
            vfio_iommu_spapr_tce_create.levels.set(s, 1);
            ok(b.spaprTceCreate(container, s), "TCE_CREATE page_shift=" + pageShift + " size=0x" + Long.toHexString(windowSize));
            return vfio_iommu_spapr_tce_create.start_addr.get(s);
        }

        MemorySegment mapArgs(long iova, long vaddr, long size) {
            MemorySegment s = arena.allocate(vfio_iommu_type1_dma_map.LAYOUT);
            vfio_iommu_type1_dma_map.argsz.set(s, (int) vfio_iommu_type1_dma_map.SIZE);
            vfio_iommu_type1_dma_map.flags.set(s, RW);
            vfio_iommu_type1_dma_map.vaddr.set(s, vaddr);
            vfio_iommu_type1_dma_map.iova.set(s, iova);
            vfio_iommu_type1_dma_map.size.set(s, size);
            return s;
        }

        MemorySegment unmapArgs(long iova, long size) {
            MemorySegment s = arena.allocate(vfio_iommu_type1_dma_unmap.LAYOUT);
            vfio_iommu_type1_dma_unmap.argsz.set(s, (int) vfio_iommu_type1_dma_unmap.SIZE);
            vfio_iommu_type1_dma_unmap.flags.set(s, 0);
            vfio_iommu_type1_dma_unmap.iova.set(s, iova);
            vfio_iommu_type1_dma_unmap.size.set(s, size);
            return s;
        }

        @Override
        public void close() {
            b.close(group);
            b.close(container);
            b.close();
            arena.close();
        }
    }
}
