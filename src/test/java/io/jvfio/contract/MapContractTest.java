package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.*;
import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.KernelFix;
import io.jvfio.emul.KernelBugException;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/** VFIO_IOMMU_MAP_DMA / UNMAP_DMA on v2 containers. */
@Tag("contract")
class MapContractTest {

    /** examples/basic-v2.scn with the results of basic-v2.kernel.out. */
    @ContractTest
    void basicV2Scenario(Fixture f) {
        int c = f.openContainer();
        assertRet(0, f.b.getApiVersion(c), "1: api-version");
        assertRet(1, f.b.checkExtension(c, V2), "2: check-extension spapr-v2");
        int g = f.openGroup();
        MemorySegment st = f.groupStatus();
        assertOk(f.b.groupGetStatus(g, st), "4: group-status");
        assertHex(0x1, io.jvfio.abi.vfio_group_status.flags.get(st), "4: group-status flags");
        f.setContainer(g, c);
        assertOk(f.b.groupGetStatus(g, st), "6: group-status");
        assertHex(0x3, io.jvfio.abi.vfio_group_status.flags.get(st), "6: group-status flags");
        f.setIommu(c, V2);
        MemorySegment info = f.tceInfo();
        assertOk(f.b.spaprTceGetInfo(c, info), "8: tce-info");
        TceInfoContractTest.assertV2Values(info, "8: tce-info");
        MemorySegment buf = f.normal();
        MemorySegment huge = f.huge();
        assertErrno(EPERM, f.map(c, 0, 64 * K, buf.address()), "11: map 0 64K buf");
        assertOk(f.register(c, buf), "12: register buf");
        assertOk(f.register(c, huge), "13: register huge");
        assertOk(f.map(c, 0x100000, M, buf.address()), "14: map 0x100000 1M buf");
        assertOk(f.unmap(c, 0x100000, M), "15: unmap 0x100000 1M");
        assertErrno(ENXIO, f.map(c, 0x40000000, 64 * K, buf.address()), "16: map 0x40000000 64K buf");
        assertHex(DDW_START, f.createOk(c, 16, 4 * G, 1), "17: create 16 4G 1 start");
        assertOk(f.map(c, DDW_START, 2 * M, huge.address()), "18: map 0x800000000000000 2M huge");
        assertOk(f.unmap(c, DDW_START, 2 * M), "19: unmap 0x800000000000000 2M");
        assertErrno(ENOSPC, f.create(c, 12, G, 1), "20: create 12 1G 1");
        assertOk(f.remove(c, DDW_START), "21: remove 0x800000000000000");
        assertOk(f.unregister(c, huge), "22: unregister huge");
        assertOk(f.unregister(c, buf), "23: unregister buf");
        assertOk(f.unsetContainer(g), "24: unset-container");
    }

    // ---- the enabled check -------------------------------------------------------------------------

    /** Observed: on v2, REGISTER_MEMORY is what enables the container. */
    @ContractTest
    void mapDma_v2_beforeRegister_EPERM(Fixture f) {
        int c = f.v2();
        assertErrno(EPERM, f.map(c, 0, 0x10000, f.normal().address()), "map before any REGISTER_MEMORY");
    }

    @ContractTest
    void unmapDma_v2_beforeRegister_EPERM(Fixture f) {
        int c = f.v2();
        assertErrno(EPERM, f.unmap(c, 0, 0x10000), "unmap before any REGISTER_MEMORY");
    }

    /** UNREGISTER never disables the container again: a later MAP fails on the lookup, not on "enabled". */
    @ContractTest
    void mapDma_afterUnregister_EINVAL_notEPERM(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertOk(f.unregister(c, f.normal()), "unregister normal");
        assertErrno(EINVAL, f.map(c, start, 64 * K, f.normal().address()), "map of the unregistered buffer");
    }

    // ---- the default window --------------------------------------------------------------------------

    /** Observed: MAP/UNMAP in the lazily created default window; UNMAP does not write size back. */
    @ContractTest
    void mapDma_defaultWindow_observed(Fixture f) {
        int c = f.v2Registered();
        long buf = f.normal().address();
        assertOk(f.map(c, 0x100000, 0x100000, buf), "map (default window) iova=0x100000 size=0x100000");
        assertOk(f.map(c, 0x100000, 0x10000, buf), "map (same iova again, already mapped) size=0x10000");
        MemorySegment u = f.dmaUnmap(0x100000, 0x100000);
        assertOk(f.b.iommuUnmapDma(c, u), "unmap iova=0x100000 size=0x100000");
        assertHex(0x100000, vfio_iommu_type1_dma_unmap.size.get(u), "unmap size field after the call");
        assertErrno(ENXIO, f.map(c, 0x40000000, 0x10000, buf), "map (beyond default window) iova=0x40000000");
        assertOk(f.map(c, DMA32_SIZE - 0x1000, 0x1000, buf), "map (last page of the default window)");
        assertOk(f.unmap(c, DMA32_SIZE - 0x1000, 0x1000), "unmap (last page)");
    }

    /** Observed: the default window is [0, 1 GiB); the first page after it is in no window. */
    @ContractTest
    void mapDma_beyondDefaultWindow_ENXIO(Fixture f) {
        int c = f.v2Registered();
        assertErrno(ENXIO, f.map(c, DMA32_SIZE, 0x10000, f.normal().address()), "map iova=0x40000000 size=0x10000");
        assertErrno(ENXIO, f.unmap(c, DMA32_SIZE, 0x10000), "unmap iova=0x40000000 size=0x10000");
    }

    /** Observed: after REMOVE(0) of the materialised default window, its range is ENXIO. */
    @ContractTest
    void mapDma_inRemovedDefaultWindow_ENXIO(Fixture f) {
        int c = f.v2Registered();
        long buf = f.normal().address();
        assertOk(f.map(c, 0x100000, 0x10000, buf), "map in the default window (materialises it)");
        assertOk(f.remove(c, 0), "remove the default window");
        assertErrno(ENXIO, f.map(c, 0x100000, 0x10000, buf), "map in the removed default window");
        assertErrno(ENXIO, f.unmap(c, 0x100000, 0x10000), "unmap in the removed default window");
    }

    /** REMOVE(0) while the default window is still pending: no window at all afterwards. */
    @ContractTest
    void mapDma_pendingDefaultRemoved_ENXIO(Fixture f) {
        int c = f.v2Registered();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(ENXIO, f.map(c, 0x100000, 0x10000, f.normal().address()), "map at 0x100000");
        assertErrno(ENXIO, f.map(c, 0, 0x10000, f.normal().address()), "map at 0");
    }

    // ---- MAP argument checks ------------------------------------------------------------------------

    @ContractTest
    void mapDma_argszBelow32_EINVAL(Fixture f) {
        int c = f.v2Registered();
        MemorySegment m = Fixture.argsz(f.dmaMap(f.normal().address(), 0, 64 * K, RW), 31);
        assertErrno(EINVAL, f.b.iommuMapDma(c, m), "map(argsz=31)");
    }

    @ContractTest
    void mapDma_unknownFlag_EINVAL(Fixture f) {
        int c = f.v2Registered();
        assertErrno(EINVAL, f.map(c, 0, 64 * K, f.normal().address(), RW | 4), "map(flags=READ|WRITE|4)");
        assertErrno(EINVAL, f.map(c, 0, 64 * K, f.normal().address(), 0x80000000), "map(flags=0x80000000)");
    }

    /** Neither READ nor WRITE: checked after the window lookup and the alignment. */
    @ContractTest
    void mapDma_noDirection_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertErrno(EINVAL, f.map(c, start, 64 * K, f.normal().address(), 0), "map(flags=0)");
        assertErrno(ENXIO, f.map(c, start + SMALL_WINDOW, 64 * K, f.normal().address(), 0),
                "map(flags=0) outside every window: the window lookup comes first");
    }

    @ContractTest
    void mapDma_readOnlyAndWriteOnly_ok(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        long buf = f.normal().address();
        assertOk(f.map(c, start, 64 * K, buf, VFIO_DMA_MAP_FLAG_READ), "map(READ only: device reads)");
        assertOk(f.map(c, start + 64 * K, 64 * K, buf + 64 * K, VFIO_DMA_MAP_FLAG_WRITE), "map(WRITE only: device writes)");
        assertOk(f.unmap(c, start, 128 * K), "unmap both");
    }

    @ContractTest
    void mapDma_nullPointer_EFAULT(Fixture f) {
        int c = f.v2Registered();
        assertErrno(EFAULT, f.b.iommuMapDma(c, MemorySegment.NULL), "map(NULL)");
    }

    @ContractTest
    void mapDma_sizeNotIommuPageMultiple_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertErrno(EINVAL, f.map(c, start, 0x1800, f.normal().address()), "map size=0x1800 in a 4K window");
    }

    /** vaddr must be aligned to the window's IOMMU page (here 64 KiB), not only to the CPU page. */
    @ContractTest
    void mapDma_vaddrNotIommuPageAligned_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment huge = f.huge();
        assertOk(f.register(c, huge), "register hugetlb");
        long start = f.smallWindow(c, 16);
        assertErrno(EINVAL, f.map(c, start, 64 * K, huge.address() + 4 * K), "map vaddr=huge+4K in a 64K window");
    }

    @ContractTest
    void mapDma_unregisteredVaddr_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        MemorySegment other = f.buffer(M, false);
        assertErrno(EINVAL, f.map(c, start, 64 * K, other.address()), "map of an unregistered buffer");
    }

    /** Observed: 4 KiB-backed memory cannot back 64 KiB (or 2 MiB, 16 MiB) TCEs. */
    @ContractTest
    void mapDma_smallPagesInto64kWindow_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 16);
        assertErrno(EINVAL, f.map(c, start, 0x10000, f.normal().address()), "map normal pages into a 64K-page window");
    }

    /** Observed: 2 MiB hugetlb pages back 64 KiB and 2 MiB TCEs, last page of the window included. */
    @ContractTest
    void mapDma_hugetlbInto64kAnd2mWindows_ok(Fixture f) {
        int c = f.v2Registered();
        MemorySegment huge = f.huge();
        assertOk(f.register(c, huge), "register hugetlb");
        long start = f.smallWindow(c, 16);
        assertOk(f.map(c, start, 0x10000, huge.address()), "map 64K hugetlb into the 64K window");
        assertOk(f.map(c, start + SMALL_WINDOW - 0x10000, 0x10000, huge.address()), "map the last 64K page");
        assertOk(f.unmap(c, start, SMALL_WINDOW), "unmap the whole window");
        assertOk(f.remove(c, start), "remove the 64K window");
        long s2 = f.createOk(c, 21, 4 * G, 1);
        assertOk(f.map(c, s2, 2 * M, huge.address()), "map 2M hugetlb into a 2M-page window");
        assertOk(f.map(c, s2 + 4 * G - 2 * M, 2 * M, huge.address() + 2 * M), "map the last 2M page");
        assertErrno(ENXIO, f.map(c, s2 + 4 * G, 2 * M, huge.address()), "map just past the end");
        assertErrno(EINVAL, f.map(c, s2, 2 * M, f.normal().address()), "map (registered) normal pages into it");
    }

    /** The range must lie in one registered region: a MAP running past its end is undone, EINVAL. */
    @ContractTest
    @Tag("to-check")
    void mapDma_beyondRegisteredRegion_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment buf = f.buffer(2 * M, false);
        assertOk(f.register(c, buf.address(), M), "register the first 1 MiB of a 2 MiB buffer");
        long start = f.smallWindow(c, 12);
        assertErrno(EINVAL, f.map(c, start, 2 * M, buf.address()), "map 2 MiB (the second half is not registered)");
        assertOk(f.map(c, start, M, buf.address()), "map the registered 1 MiB");
    }

    /**
     * An iova inside a window but not aligned to its page: iommu_tce_put_param_check() ORs two
     * -EINVAL checks into 1, which the ioctl returns as a positive result (ioctl() == 1, nothing mapped).
     */
    @ContractTest
    @Tag("to-check")
    void mapDma_misalignedIova_returns1(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertRet(1, f.map(c, start + 0x800, 0x1000, f.normal().address()), "map iova=window+0x800 size=0x1000");
    }

    @ContractTest
    void mapDma_sizeZero_ok(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertOk(f.map(c, start, 0, f.normal().address()), "map size=0");
    }

    /**
     * guest-recipe.md, Kernel bugs: only the first TCE is range-checked, the hypervisor refuses the
     * first one outside the window and the v2 unwind path indexes the userspace view out of bounds:
     * the 6.12 guest oopses. The emulator must refuse to report anything for such a call.
     */
    @ContractTest
    @EmulatorOnly("a v2 MAP_DMA crossing the end of a window oopses the 6.12 guest kernel (guest-recipe.md, Kernel bugs)")
    void mapDma_crossingWindowEnd_kernelBug(Fixture f) {
        int c = f.v2Registered();
        long buf = f.normal().address();
        assertThrows(KernelBugException.class, () -> f.map(c, 0x3fff0000L, 128 * K, buf),
                "map 0x3fff0000 128K in the 1 GiB default window");
    }

    @ContractTest
    @EmulatorOnly("a v2 MAP_DMA crossing the end of a window oopses the 6.12 guest kernel (guest-recipe.md, Kernel bugs)")
    void mapDma_crossingDdwEnd_kernelBug(Fixture f) {
        int c = f.v2();
        MemorySegment huge = f.huge();
        assertOk(f.register(c, huge), "register hugetlb");
        long s = f.createOk(c, 16, SMALL_WINDOW, 1);
        assertThrows(KernelBugException.class, () -> f.map(c, s + SMALL_WINDOW - 64 * K, 128 * K, huge.address()),
                "map the last 64K page + 64K beyond, in a created window");
    }

    // ---- UNMAP -----------------------------------------------------------------------------------

    @ContractTest
    void unmapDma_argszBelow24_EINVAL(Fixture f) {
        int c = f.v2Registered();
        MemorySegment u = Fixture.argsz(f.dmaUnmap(0, 64 * K), 23);
        assertErrno(EINVAL, f.b.iommuUnmapDma(c, u), "unmap(argsz=23)");
    }

    /** No UNMAP flag is supported, VFIO_DMA_UNMAP_FLAG_ALL included. */
    @ContractTest
    void unmapDma_anyFlag_EINVAL(Fixture f) {
        int c = f.v2Registered();
        for (int fl : new int[] {1, VFIO_DMA_UNMAP_FLAG_ALL, 4}) {
            assertErrno(EINVAL, f.b.iommuUnmapDma(c, Fixture.flags(f.dmaUnmap(0, 64 * K), fl)), "unmap(flags=" + fl + ")");
        }
    }

    @ContractTest
    void unmapDma_nullPointer_EFAULT(Fixture f) {
        int c = f.v2Registered();
        assertErrno(EFAULT, f.b.iommuUnmapDma(c, MemorySegment.NULL), "unmap(NULL)");
    }

    @ContractTest
    void unmapDma_outsideWindows_ENXIO(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertErrno(ENXIO, f.unmap(c, start + SMALL_WINDOW, 64 * K), "unmap just past the window");
        assertErrno(ENXIO, f.unmap(c, DDW_START, 64 * K), "unmap at 1<<59");
    }

    @ContractTest
    void unmapDma_sizeNotIommuPageMultiple_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertErrno(EINVAL, f.unmap(c, start, 0x1800), "unmap size=0x1800 in a 4K window");
    }

    /** Same +1 quirk as MAP: iommu_tce_clear_param_check() ORs the -EINVAL into 1. */
    @ContractTest
    @Tag("to-check")
    void unmapDma_misalignedIova_returns1(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertRet(1, f.unmap(c, start + 0x800, 0x1000), "unmap iova=window+0x800 size=0x1000");
    }

    /** Unmapping space that holds no TCE succeeds. */
    @ContractTest
    void unmapDma_nothingMapped_ok(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        assertOk(f.unmap(c, start, SMALL_WINDOW), "unmap the whole empty window");
        assertOk(f.unmap(c, start, 0), "unmap size 0");
    }

    /**
     * An UNMAP crossing the end of a window by 64K. Kernels without 0b271f7d7f5e (6.12.95) check its first page
     * only, clear the in-window part and return 0 (guest-recipe.md); kernels with it (7.3, 7.2.8+: the newest
     * Debian kernel) check the whole range and return 1, the check's -EINVAL turned into a bool. Which one
     * applies is the backend's kernel: the running release, or the release the emulator's profile models.
     */
    @ContractTest
    void unmapDma_crossingWindowEnd_byKernel(Fixture f) {
        int c = f.v2Registered();
        long start = f.smallWindow(c, 12);
        long buf = f.normal().address();
        assertOk(f.map(c, start + SMALL_WINDOW - 64 * K, 64 * K, buf), "map the last 64K of the window");
        String release = f.b.kernelRelease();
        long r = f.unmap(c, start + SMALL_WINDOW - 64 * K, 128 * K);
        if (KernelFix.TCE_RANGE_CHECK.fixedIn(release)) {
            assertRet(1, r, "unmap the last 64K + 64K beyond the end on " + release + " (with 0b271f7d7f5e)");
        } else {
            assertOk(r, "unmap the last 64K + 64K beyond the end on " + release + " (without 0b271f7d7f5e)");
        }
        assertOk(f.unmap(c, start + SMALL_WINDOW - 64 * K, 64 * K), "unmap the last 64K, inside the window");
    }

    /** The dma32 window GET_INFO reports is the one the default window covers. */
    @ContractTest
    void mapDma_getInfoWindowIsTheDefaultWindow(Fixture f) {
        int c = f.v2Registered();
        MemorySegment info = f.tceInfo();
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo");
        long s = vfio_iommu_spapr_tce_info.dma32_window_start.getUnsigned(info);
        long z = vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(info);
        assertOk(f.map(c, s + z - 0x1000, 0x1000, f.normal().address()), "map the last page of [dma32_start, +size)");
        assertErrno(ENXIO, f.map(c, s + z, 0x1000, f.normal().address()), "map the first page after it");
    }
}
