package io.jvfio.contract;

import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/** VFIO_IOMMU_SPAPR_REGISTER_MEMORY / UNREGISTER_MEMORY (v2 memory pre-registration). */
@Tag("contract")
class RegisterContractTest {

    // ---- REGISTER --------------------------------------------------------------------------------

    /** Observed TEST 2: both buffers register, unregister, the second UNREGISTER of one finds nothing. */
    @ContractTest
    void register_thenUnregister_observed(Fixture f) {
        int c = f.v2();
        MemorySegment n = f.normal();
        MemorySegment h = f.huge();
        assertOk(f.register(c, n), "register normal 32 MiB");
        assertOk(f.register(c, h), "register hugetlb 8 MiB");
        assertOk(f.unregister(c, n), "unregister normal");
        assertErrno(ENOENT, f.unregister(c, n), "unregister normal again");
        assertOk(f.unregister(c, h), "unregister hugetlb");
    }

    /** Observed: vaddr + 1 is EINVAL. */
    @ContractTest
    void register_misalignedVaddr_EINVAL(Fixture f) {
        int c = f.v2();
        long v = f.normal().address();
        assertErrno(EINVAL, f.register(c, v + 1, 0x10000), "register vaddr+1 size 0x10000");
        assertErrno(EINVAL, f.register(c, v + 0x800, 0x10000), "register vaddr+0x800 size 0x10000");
    }

    @ContractTest
    void register_misalignedSize_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.register(c, f.normal().address(), 0x10800), "register size 0x10800");
    }

    @ContractTest
    void register_wrappingRange_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.register(c, 0xffffffffffff0000L, 0x20000), "register vaddr=0xffffffffffff0000 size=128K");
    }

    /** Observed: the same region twice in one container is EBUSY. */
    @ContractTest
    void register_sameRegionTwice_EBUSY(Fixture f) {
        int c = f.v2();
        assertOk(f.register(c, f.normal()), "register normal");
        assertErrno(EBUSY, f.register(c, f.normal()), "register normal again");
    }

    /** A different region overlapping a registered one (sub-range, or same start other size) is EINVAL. */
    @ContractTest
    void register_overlappingRegion_EINVAL(Fixture f) {
        int c = f.v2();
        long v = f.normal().address();
        assertOk(f.register(c, v, 16 * M), "register [buf, +16M)");
        assertErrno(EINVAL, f.register(c, v + M, M), "register [buf+1M, +1M) inside it");
        assertErrno(EINVAL, f.register(c, v, 32 * M), "register [buf, +32M) over it");
        assertErrno(EINVAL, f.register(c, v + 15 * M, 2 * M), "register [buf+15M, +2M) across its end");
        assertOk(f.register(c, v + 16 * M, 16 * M), "register [buf+16M, +16M) next to it");
    }

    @ContractTest
    void register_argszBelow24_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment r = Fixture.argsz(f.regMem(f.normal().address(), 64 * K), 23);
        assertErrno(EINVAL, f.b.spaprRegisterMemory(c, r), "register(argsz=23)");
    }

    @ContractTest
    void register_flags_EINVAL(Fixture f) {
        int c = f.v2();
        MemorySegment r = Fixture.flags(f.regMem(f.normal().address(), 64 * K), 1);
        assertErrno(EINVAL, f.b.spaprRegisterMemory(c, r), "register(flags=1)");
    }

    @ContractTest
    void register_nullPointer_EFAULT(Fixture f) {
        int c = f.v2();
        assertErrno(EFAULT, f.b.spaprRegisterMemory(c, MemorySegment.NULL), "register(NULL)");
    }

    /** Registration pins every page: an address range with no mapping behind it cannot be pinned. */
    @ContractTest
    @Tag("to-check")
    void register_unmappedMemory_EFAULT(Fixture f) {
        int c = f.v2();
        assertErrno(EFAULT, f.register(c, 0x1000, 0x1000), "register vaddr=0x1000 (below mmap_min_addr)");
    }

    /** REGISTER charges the registered bytes to locked_vm, UNREGISTER gives them back. */
    @ContractTest
    @Tag("to-check")
    void register_chargesLockedVm(Fixture f) {
        int c = f.v2();
        MemorySegment n = f.normal();
        long before = f.lockedVmBytes();
        assertOk(f.register(c, n), "register normal");
        assertHex(NORMAL_SIZE, f.lockedVmBytes() - before, "locked_vm charged by REGISTER");
        assertOk(f.unregister(c, n), "unregister normal");
        assertHex(0, f.lockedVmBytes() - before, "locked_vm after UNREGISTER");
    }

    // ---- UNREGISTER ------------------------------------------------------------------------------

    /** Nothing latched the container's mm yet (no REGISTER, CREATE or REMOVE): EPERM. */
    @ContractTest
    void unregister_beforeAnyRegistration_EPERM(Fixture f) {
        int c = f.v2();
        assertErrno(EPERM, f.unregister(c, f.normal()), "unregister on a fresh v2 container");
    }

    /** TCE_REMOVE latches the mm too: afterwards an unknown region is ENOENT, not EPERM. */
    @ContractTest
    void unregister_afterRemoveLatchedMm_ENOENT(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "spaprTceRemove(0) (pending default window)");
        assertErrno(ENOENT, f.unregister(c, f.normal()), "unregister of a never registered region");
    }

    /** Only exactly a registered (vaddr, size) pair is found. */
    @ContractTest
    void unregister_unknownRegion_ENOENT(Fixture f) {
        int c = f.v2();
        long v = f.normal().address();
        assertOk(f.register(c, v, 16 * M), "register [buf, +16M)");
        assertErrno(ENOENT, f.unregister(c, v, 8 * M), "unregister [buf, +8M)");
        assertErrno(ENOENT, f.unregister(c, v + 16 * M, 16 * M), "unregister [buf+16M, +16M)");
        assertOk(f.unregister(c, v, 16 * M), "unregister [buf, +16M)");
        assertErrno(ENOENT, f.unregister(c, v, 16 * M), "unregister [buf, +16M) again");
    }

    @ContractTest
    void unregister_misaligned_EINVAL(Fixture f) {
        int c = f.v2Registered();
        long v = f.normal().address();
        assertErrno(EINVAL, f.unregister(c, v + 1, NORMAL_SIZE), "unregister vaddr+1");
        assertErrno(EINVAL, f.unregister(c, v, NORMAL_SIZE - 1), "unregister size-1");
    }

    @ContractTest
    void unregister_argszBelow24_EINVAL(Fixture f) {
        int c = f.v2Registered();
        MemorySegment r = Fixture.argsz(f.regMem(f.normal().address(), NORMAL_SIZE), 23);
        assertErrno(EINVAL, f.b.spaprUnregisterMemory(c, r), "unregister(argsz=23)");
    }

    @ContractTest
    void unregister_flags_EINVAL(Fixture f) {
        int c = f.v2Registered();
        MemorySegment r = Fixture.flags(f.regMem(f.normal().address(), NORMAL_SIZE), 1);
        assertErrno(EINVAL, f.b.spaprUnregisterMemory(c, r), "unregister(flags=1)");
    }

    @ContractTest
    void unregister_nullPointer_EFAULT(Fixture f) {
        int c = f.v2Registered();
        assertErrno(EFAULT, f.b.spaprUnregisterMemory(c, MemorySegment.NULL), "unregister(NULL)");
    }

    /**
     * UNREGISTER while TCEs still point into the region. tce_iommu_unregister_pages() takes a reference
     * (mm_iommu_get), drops the container's (mm_iommu_put: still used, returns 0) and unlinks the
     * region from the container, then drops its own reference: that put sees the mappings and returns
     * EBUSY, which is ignored. So the call succeeds, the region stays pinned (and charged) until the
     * process exits, and a second UNREGISTER finds nothing. (spapr-semantics.md §2.12 guesses EBUSY.)
     * The buffer is never unmapped, so the kernel's lingering region can never meet a later mapping
     * at the same address.
     */
    @ContractTest
    @Tag("to-check")
    @Tag(Fixture.LEAKS_MM_REGION)
    void unregister_whileMapped_returns0(Fixture f) {
        int c = f.v2();
        MemorySegment buf = f.leakedBuffer(M);
        long start = f.smallWindow(c, 12);
        assertOk(f.register(c, buf), "register 1 MiB");
        assertOk(f.map(c, start, 64 * K, buf.address()), "map 64K");
        assertOk(f.unregister(c, buf), "unregister while 64K of it are mapped");
        assertErrno(ENOENT, f.unregister(c, buf), "unregister again");
        assertOk(f.unmap(c, start, 64 * K), "unmap");
    }
}
