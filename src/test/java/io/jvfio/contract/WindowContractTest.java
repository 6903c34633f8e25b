package io.jvfio.contract;

import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * VFIO_IOMMU_SPAPR_TCE_CREATE / REMOVE (v2 dynamic DMA windows) on the pSeries platform with QEMU as
 * hypervisor: a created window starts at 1 << 59 while another window is active in the hypervisor,
 * at 0 when none is.
 *
 * <p>What the hypervisor has active is not what the container has: the kernel never takes QEMU's
 * default window down. Removing the {@code ibm,dma-window} window (take_ownership at SET_CONTAINER,
 * or REMOVE of a materialised default window) drops only the device-tree property, because
 * remove_dma_window_named calls ibm,remove-pe-dma-window only for a property at least as long as
 * struct dynamic_dma_window_prop (24 bytes) and QEMU's is 20. So a DDW lands at 1 << 59 even as the
 * container's only window, and a second DDW finds QEMU out of windows (real 6.12 guest). A
 * default-shaped window (4K pages, at most the dma32 size) re-created in slot 0 goes back to 0: its
 * ibm,reset-pe-dma-windows re-establishes QEMU's default window.
 */
@Tag("contract")
class WindowContractTest {
    private static final String STICKY = "a DDW create that fails in RTAS puts the PE on the pSeries kernel's sticky"
            + " failed-DDW list: every later CREATE in that boot fails with ENODEV";

    // ---- where windows go ------------------------------------------------------------------------

    /**
     * Observed: CREATE on a fresh container first materialises the pending default window (slot 0,
     * bus address 0), so the new one lands in slot 1 at 0x800000000000000. Its last page maps, the
     * page after it is ENXIO, and the default window is there too.
     */
    @ContractTest
    void tceCreate_secondWindow_startsAt1Shl59(Fixture f) {
        int c = f.v2Registered();
        long buf = f.normal().address();
        long s = f.createOk(c, 12, SMALL_WINDOW, 1);
        assertHex(DDW_START, s, "start_addr of a window created next to the default one");
        assertOk(f.map(c, s, 0x10000, buf), "map (normal pages) at the start");
        assertOk(f.unmap(c, s, 0x10000), "unmap");
        assertOk(f.map(c, s + SMALL_WINDOW - 0x1000, 0x1000, buf), "map (last page of window)");
        assertOk(f.unmap(c, s + SMALL_WINDOW - 0x1000, 0x1000), "unmap (last page)");
        assertErrno(ENXIO, f.map(c, s + SMALL_WINDOW, 0x1000, buf), "map (just past end of window)");
        assertOk(f.map(c, 0x100000, 0x1000, buf), "map in the default window created on the way");
        assertOk(f.remove(c, s), "remove the created window");
        assertErrno(ENXIO, f.map(c, s, 0x1000, buf), "map in the removed window");
    }

    /**
     * Observed on the real kernel: with the pending default window removed first, the new window is
     * still placed at 1 << 59, because the hypervisor's default window is still live (take_ownership
     * does not remove it in QEMU, and the pending one was never materialised to be removed).
     */
    @ContractTest
    void tceCreate_afterRemovingPendingDefault_startsAt1Shl59(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1),
                "start_addr of the only window (64K pages; the hypervisor's default window is still live)");
        assertErrno(EINVAL, f.remove(c, 0), "REMOVE 0: no window there");
        assertOk(f.remove(c, DDW_START), "remove it");
    }

    /**
     * Observed on the real kernel: removing a materialised default window does not take QEMU's
     * default window down either (the kernel only drops its 20-byte property), so the next
     * non-default window still lands at 1 << 59.
     */
    @ContractTest
    void tceCreate_afterMaterialisedDefaultRemoved_startsAt1Shl59(Fixture f) {
        int c = f.v2Registered();
        assertOk(f.map(c, 0x100000, 0x1000, f.normal().address()), "map: materialises the default window");
        assertOk(f.unmap(c, 0x100000, 0x1000), "unmap");
        assertOk(f.remove(c, 0), "remove the materialised default window");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1),
                "start_addr of the only window (64K pages; QEMU's default window is still live)");
        assertOk(f.remove(c, DDW_START), "remove it");
    }

    /** Observed: a default-shaped window (4K pages, dma32 size) after REMOVE(0) comes back at 0. */
    @ContractTest
    void tceCreate_defaultShapedAfterRemove_startsAt0(Fixture f) {
        int c = f.v2Registered();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertHex(0, f.createOk(c, 12, DMA32_SIZE, 1), "start_addr of CREATE 12 1G 1");
        long buf = f.normal().address();
        assertOk(f.map(c, 0, 0x10000, buf), "map (normal pages) iova=0x0");
        assertOk(f.map(c, DMA32_SIZE - 0x1000, 0x1000, buf), "map (last page of window)");
        assertErrno(ENXIO, f.map(c, 0x40000000, 0x1000, buf), "map (just past end of window)");
    }

    /**
     * QEMU restores its default window when the last window removed is not the default one (PAPR):
     * here the DDW in the hypervisor's second LIOBN. The kernel does not know; its next window is
     * then created while one is active in the hypervisor, so it starts at 1 << 59 although it is the
     * container's only window. (A DDW created in the first LIOBN, where the default window lived,
     * keeps QEMU's def_win mark, and removing it restores nothing.)
     */
    @ContractTest
    @Tag("to-check")
    void tceCreate_afterLastDdwRemoved_startsAt1Shl59(Fixture f) {
        int c = f.v2();
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window next to the default one");
        assertOk(f.remove(c, 0), "remove the default window");
        assertOk(f.remove(c, DDW_START), "remove the 64K window (the hypervisor restores its default window)");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "start of the container's only window");
        assertOk(f.remove(c, DDW_START), "remove it");
    }

    /**
     * Observed on the real kernel: after REMOVE(0) of the pending default window the hypervisor's
     * default window stays live, so a 64K window lands at 1 << 59 (in QEMU's second LIOBN); removing
     * it leaves the default active (nothing to restore), and the next one lands at 1 << 59 again.
     */
    @ContractTest
    @Tag("to-check")
    void tceCreate_afterPendingDefaultRemoved_ddwStaysAt1Shl59(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "first 64K window start");
        assertOk(f.remove(c, DDW_START), "remove it");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "start of the next 64K window");
        assertOk(f.remove(c, DDW_START), "remove that too");
    }

    // ---- CREATE errors ---------------------------------------------------------------------------

    /**
     * Two slots per container: basic-v2 shows it with the default window; here with a default-shaped
     * window created after REMOVE(0) and a DDW next to it.
     */
    @ContractTest
    void tceCreate_thirdWindow_ENOSPC(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertHex(0, f.createOk(c, 12, SMALL_WINDOW, 1), "default-shaped 4K window start");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window start");
        assertErrno(ENOSPC, f.create(c, 12, SMALL_WINDOW, 1), "third CREATE");
        assertErrno(ENOSPC, f.create(c, 13, SMALL_WINDOW, 1), "third CREATE, bad page size: the slot check is first");
    }

    /**
     * A second DDW, for slot 1 while a DDW sits in slot 0: QEMU's default window is still live next
     * to the first DDW, so QEMU has no window left and ibm,create-pe-dma-window fails: ENODEV, and the
     * PE is on the failed-DDW list (the property clash, EEXIST, is never reached on this platform).
     */
    @ContractTest
    @Tag("to-check")
    @EmulatorOnly(STICKY)
    void tceCreate_secondDdw_ENODEV_sticky(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window in slot 0");
        assertErrno(ENODEV, f.create(c, 16, SMALL_WINDOW, 1), "a second 64K window (slot 1)");
        assertErrno(ENODEV, f.create(c, 12, SMALL_WINDOW, 1), "CREATE 12 256M afterwards (sticky)");
    }

    /** Observed for 13 and 30: only ddw.pgsizes (4K 64K 2M 16M) are accepted. */
    @ContractTest
    void tceCreate_unsupportedPageShift_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(EINVAL, f.create(c, 13, 0x100000000L, 1), "CREATE page_shift=13 window_size=0x100000000");
        assertErrno(EINVAL, f.create(c, 30, 0x10000000000L, 1), "CREATE page_shift=30 window_size=0x10000000000");
        for (int shift : new int[] {0, 11, 14, 15, 20, 22, 34}) {
            assertErrno(EINVAL, f.create(c, shift, SMALL_WINDOW, 1), "CREATE page_shift=" + shift);
        }
    }

    /** Observed: pSeries supports one-level TCE tables only. */
    @ContractTest
    void tceCreate_levelsAboveOne_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        long[][] observed = {
            {12, 0x40000000L, 2}, {12, 0x100000000L, 2}, {16, 0x100000000L, 2}, {16, 0x1000000000L, 2},
            {21, 0x400000000L, 2}, {21, 0x10000000000L, 2}, {24, 0x1000000000L, 2}, {24, 0x10000000000L, 2},
            {16, 0x100000000L, 3}, {16, 0x100000000L, 4}, {16, 0x100000000L, 5},
        };
        for (long[] o : observed) {
            // the table is charged before the platform refuses it: under the unprivileged stage, ENOMEM
            int expected = UnprivilegedStage.expectedErrno(EINVAL, f.lockedVmBytes(),
                    UnprivilegedStage.tableBytes((int) o[0], o[1], (int) o[2]));
            assertErrno(expected, f.create(c, (int) o[0], o[1], (int) o[2]),
                    "CREATE page_shift=" + o[0] + " window_size=0x" + Long.toHexString(o[1]) + " levels=" + o[2]);
        }
    }

    @ContractTest
    void tceCreate_windowNotPowerOfTwo_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(EINVAL, f.create(c, 16, 768 * M, 1), "CREATE 16 768M 1");
        assertErrno(EINVAL, f.create(c, 12, 3 * M, 1), "CREATE 12 3M 1");
    }

    /** window_size >> (page_shift - 3) == 0: no table at all. */
    @ContractTest
    void tceCreate_emptyTable_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(EINVAL, f.create(c, 24, M, 1), "CREATE 24 1M 1");
        assertErrno(EINVAL, f.create(c, 16, 4 * K, 1), "CREATE 16 4K 1");
    }

    @ContractTest
    void tceCreate_argszBelow40_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment s = Fixture.argsz(f.tceCreate(16, SMALL_WINDOW, 1), 39);
        assertErrno(EINVAL, f.b.spaprTceCreate(c, s), "CREATE(argsz=39)");
    }

    @ContractTest
    void tceCreate_flags_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment s = Fixture.flags(f.tceCreate(16, SMALL_WINDOW, 1), 1);
        assertErrno(EINVAL, f.b.spaprTceCreate(c, s), "CREATE(flags=1)");
    }

    @ContractTest
    void tceCreate_nullPointer_EFAULT(Fixture f) {
        int c = f.v2();
        assertErrno(EFAULT, f.b.spaprTceCreate(c, MemorySegment.NULL), "CREATE(NULL)");
    }

    /** __resv1 and __resv2 are not checked. */
    @ContractTest
    void tceCreate_reservedFieldsIgnored_ok(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        MemorySegment s = f.tceCreate(16, SMALL_WINDOW, 1);
        vfio_iommu_spapr_tce_create.__resv1.set(s, -1);
        vfio_iommu_spapr_tce_create.__resv2.set(s, -1);
        assertOk(f.b.spaprTceCreate(c, s), "CREATE with __resv1 = __resv2 = 0xffffffff");
        assertHex(DDW_START, vfio_iommu_spapr_tce_create.start_addr.get(s),
                "start_addr (the hypervisor's default window is still live)");
        assertOk(f.remove(c, DDW_START), "remove it");
    }

    /** Slot 0 free but a 64-bit window present: a non-default request for slot 0 is refused. */
    @ContractTest
    void tceCreate_slot0NonDefaultWhileDdwExists_EPERM(Fixture f) {
        int c = f.v2();
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window next to the default one");
        assertOk(f.remove(c, 0), "remove the default window");
        assertErrno(EPERM, f.create(c, 16, SMALL_WINDOW, 1), "CREATE 16 256M for slot 0 while the DDW exists");
    }

    /** Re-creating the default window would reset the PE and destroy the 64-bit window: refused. */
    @ContractTest
    void tceCreate_slot0DefaultShapedWhileDdwExists_EPERM(Fixture f) {
        int c = f.v2();
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window next to the default one");
        assertOk(f.remove(c, 0), "remove the default window");
        assertErrno(EPERM, f.create(c, 12, DMA32_SIZE, 1), "CREATE 12 1G (default-shaped) while the DDW exists");
        assertOk(f.remove(c, DDW_START), "remove the DDW");
        assertHex(0, f.createOk(c, 12, DMA32_SIZE, 1), "CREATE 12 1G once the DDW is gone");
    }

    /**
     * The platform queries the hypervisor's largest block of TCEs first: too big a window is EINVAL
     * ("retry with a smaller window"), not sticky. QEMU reports 2^37 TCEs.
     */
    @ContractTest
    @Tag("to-check")
    @EmulatorOnly("if the hypervisor's largest block were bigger than assumed, this window (2^38 TCEs) would be"
            + " created, and tearing it down in the TCG guest would take days")
    void tceCreate_windowLargerThanLargestBlock_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(UnprivilegedStage.expectedErrno(EINVAL, f.lockedVmBytes(), UnprivilegedStage.tableBytes(16, 1L << 54, 1)),
                f.create(c, 16, 1L << 54, 1), "CREATE 16 2^54 1 (2^38 TCEs)");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "a normal CREATE afterwards (not sticky)");
    }

    /**
     * The hypervisor has room for two windows. After the QEMU default-window restore (see
     * tceCreate_afterLastDdwRemoved_startsAt1Shl59) the kernel has one window in slot 0 while QEMU
     * has two active: a CREATE for slot 1 fails in RTAS, ENODEV, and the PE is on the failed-DDW list
     * for good: even a default-shaped window, even after re-attaching (the lazy default window of a
     * MAP), fails with ENODEV.
     */
    @ContractTest
    @Tag("to-check")
    @EmulatorOnly(STICKY)
    void tceCreate_hypervisorOutOfWindows_ENODEV_sticky(Fixture f) {
        int c = f.v2Registered();
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window next to the default one");
        assertOk(f.remove(c, 0), "remove the default window");
        assertOk(f.remove(c, DDW_START), "remove the 64K window (QEMU restores its default window)");
        assertHex(DDW_START, f.createOk(c, 16, SMALL_WINDOW, 1), "64K window, created next to QEMU's default");
        assertErrno(ENODEV, f.create(c, 16, SMALL_WINDOW, 1), "CREATE for slot 1: the hypervisor has no window left");
        assertOk(f.remove(c, DDW_START), "remove the created window");
        assertErrno(ENODEV, f.create(c, 16, SMALL_WINDOW, 1), "CREATE 16 256M after the failure (sticky)");
        assertErrno(ENODEV, f.create(c, 12, DMA32_SIZE, 1), "CREATE 12 1G (default-shaped) after the failure");
        assertOk(f.unsetContainer(f.group), "unset container");
        f.setContainer(f.group, c);
        f.setIommu(c, V2);
        assertOk(f.register(c, f.normal()), "register again");
        assertErrno(ENODEV, f.map(c, 0x100000, 0x1000, f.normal().address()),
                "map: creating the lazy default window fails too");
    }

    /**
     * A window smaller than one of its pages passes the kernel's checks (table size 4 bytes, the
     * largest-block test shifts by a negative amount, which is 0 on ppc64) and is refused by the
     * hypervisor (window_shift < page_shift): ENODEV, sticky.
     */
    @ContractTest
    @Tag("to-check")
    @EmulatorOnly(STICKY)
    void tceCreate_windowSmallerThanPage_ENODEV_sticky(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        assertErrno(ENODEV, f.create(c, 16, 32 * K, 1), "CREATE 16 32K 1");
        assertErrno(ENODEV, f.create(c, 16, SMALL_WINDOW, 1), "CREATE 16 256M 1 after the failure (sticky)");
    }

    /** CREATE charges its TCE table (8 bytes per TCE) to locked_vm; REMOVE gives it back. */
    @ContractTest
    @Tag("to-check")
    void tceCreate_chargesTableToLockedVm(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        long before = f.lockedVmBytes();
        long s = f.createOk(c, 16, SMALL_WINDOW, 1);
        assertHex(SMALL_WINDOW / (64 * K) * 8, f.lockedVmBytes() - before, "locked_vm charged by CREATE 16 256M");
        assertOk(f.remove(c, s), "remove");
        assertHex(0, f.lockedVmBytes() - before, "locked_vm after REMOVE");
    }

    // ---- REMOVE ---------------------------------------------------------------------------------------

    @ContractTest
    void tceRemove_notAWindow_EINVAL(Fixture f) {
        int c = f.v2();
        long s = f.smallWindow(c, 16);
        assertHex(DDW_START, s, "the window's start (the hypervisor's default window is live)");
        assertErrno(EINVAL, f.remove(c, 0), "REMOVE 0 (no such window: the pending default one is gone)");
        assertErrno(EINVAL, f.remove(c, 0x100000), "REMOVE 0x100000 (no such window)");
        assertErrno(EINVAL, f.remove(c, s + SMALL_WINDOW), "REMOVE just past the window");
    }

    /** Observed (for the materialised default window): the second REMOVE of a window is EINVAL. */
    @ContractTest
    void tceRemove_twice_EINVAL(Fixture f) {
        int c = f.v2();
        long s = f.smallWindow(c, 16);
        assertOk(f.remove(c, s), "REMOVE");
        assertErrno(EINVAL, f.remove(c, s), "REMOVE again");
    }

    /** REMOVE(0) of a still-pending default window just forgets it; there is nothing to remove twice. */
    @ContractTest
    void tceRemove_pendingDefault_ok_once(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "REMOVE 0 (pending default window)");
        assertErrno(EINVAL, f.remove(c, 0), "REMOVE 0 again");
    }

    /** Only start 0 clears the pending default window; any other address finds no window. */
    @ContractTest
    void tceRemove_pendingDefault_nonZeroStart_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.remove(c, DDW_START), "REMOVE 0x800000000000000 with the default window pending");
        assertErrno(EINVAL, f.remove(c, 0x100000), "REMOVE 0x100000 with the default window pending");
        assertOk(f.remove(c, 0), "REMOVE 0 still clears it");
    }

    /** Any address inside a window selects it. */
    @ContractTest
    void tceRemove_addressInsideWindow_removesIt(Fixture f) {
        int c = f.v2();
        long s = f.smallWindow(c, 16);
        assertOk(f.remove(c, s + 0x100000), "REMOVE window+1M");
        assertErrno(EINVAL, f.remove(c, s), "REMOVE of its start afterwards");
    }

    @ContractTest
    void tceRemove_argszBelow16_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.b.spaprTceRemove(c, Fixture.argsz(f.tceRemove(0), 15)), "REMOVE(argsz=15)");
    }

    @ContractTest
    void tceRemove_flags_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.b.spaprTceRemove(c, Fixture.flags(f.tceRemove(0), 1)), "REMOVE(flags=1)");
    }

    @ContractTest
    void tceRemove_nullPointer_EFAULT(Fixture f) {
        int c = f.v2();
        assertErrno(EFAULT, f.b.spaprTceRemove(c, MemorySegment.NULL), "REMOVE(NULL)");
    }

    /** REMOVE clears the window's TCEs: the memory can be unregistered and registered again. */
    @ContractTest
    void tceRemove_withMappings_ok(Fixture f) {
        int c = f.v2Registered();
        long s = f.smallWindow(c, 12);
        MemorySegment n = f.normal();
        assertOk(f.map(c, s, M, n.address()), "map 1M");
        assertOk(f.remove(c, s), "REMOVE the window with 256 TCEs in it");
        assertOk(f.unregister(c, n), "unregister");
        assertOk(f.register(c, n), "register again");
    }
}
