package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.*;
import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_group_status;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/**
 * The container fd (/dev/vfio/vfio), opening and closing, request-number dispatch and EEH: the
 * backend contract, errno-exact. Expected values come from kernel-observed-6.12-pseries.txt where it
 * has them, otherwise from the 6.12 sources (drivers/vfio/container.c, group.c,
 * vfio_iommu_spapr_tce.c); {@code to-check} marks those only the in-guest run can confirm.
 */
@Tag("contract")
class ContainerContractTest {

    // ---- GET_API_VERSION / CHECK_EXTENSION ---------------------------------------------------------

    @ContractTest
    void getApiVersion_returns0(Fixture f) {
        int c = f.openContainer();
        assertRet(VFIO_API_VERSION, f.b.getApiVersion(c), "getApiVersion(container)");
    }

    /** Observed TEST 1: only the two SPAPR types answer 1; EEH answers 0 on this guest. */
    @ContractTest
    void checkExtension_observedTable(Fixture f) {
        int c = f.openContainer();
        long[] expected = {-1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0};
        for (int ext = 1; ext <= 10; ext++) {
            assertRet(expected[ext], f.b.checkExtension(c, ext), "checkExtension(" + ext + ") on a fresh container");
        }
    }

    /** CHECK_EXTENSION never fails: unknown extensions answer 0. */
    @ContractTest
    void checkExtension_unknownExtension_returns0(Fixture f) {
        int c = f.openContainer();
        for (long ext : new long[] {0, 11, 100, 0x7fffffffL}) {
            assertRet(0, f.b.checkExtension(c, ext), "checkExtension(" + ext + ")");
        }
    }

    /** With a group attached, and after SET_IOMMU (only the SPAPR driver answers then): same answers. */
    @ContractTest
    void checkExtension_withGroupAndAfterSetIommu_sameAnswers(Fixture f) {
        int c = f.attached();
        assertRet(1, f.b.checkExtension(c, VFIO_SPAPR_TCE_v2_IOMMU), "checkExtension(7) with group, before SET_IOMMU");
        assertRet(0, f.b.checkExtension(c, VFIO_TYPE1_IOMMU), "checkExtension(1) with group, before SET_IOMMU");
        f.setIommu(c, V2);
        assertRet(1, f.b.checkExtension(c, VFIO_SPAPR_TCE_v2_IOMMU), "checkExtension(7) after SET_IOMMU");
        assertRet(1, f.b.checkExtension(c, VFIO_SPAPR_TCE_IOMMU), "checkExtension(2) after SET_IOMMU");
        assertRet(0, f.b.checkExtension(c, VFIO_EEH), "checkExtension(VFIO_EEH) after SET_IOMMU");
        assertRet(0, f.b.checkExtension(c, VFIO_TYPE1v2_IOMMU), "checkExtension(3) after SET_IOMMU");
        assertRet(0, f.b.checkExtension(c, VFIO_NOIOMMU_IOMMU), "checkExtension(8) after SET_IOMMU");
    }

    // ---- bad fds ---------------------------------------------------------------------------------

    @ContractTest
    void ioctl_badFd_EBADF(Fixture f) {
        assertErrno(EBADF, f.b.getApiVersion(-1), "getApiVersion(-1)");
        assertErrno(EBADF, f.b.checkExtension(-1, VFIO_SPAPR_TCE_v2_IOMMU), "checkExtension(-1, 7)");
        assertErrno(EBADF, f.b.spaprTceGetInfo(-1, f.tceInfo()), "spaprTceGetInfo(-1)");
        assertErrno(EBADF, f.b.groupGetStatus(-1, f.groupStatus()), "groupGetStatus(-1)");
        int c = f.openContainer();
        assertOk(f.closeFd(c), "close(container)");
        assertErrno(EBADF, f.b.getApiVersion(c), "getApiVersion(closed fd)");
        assertErrno(EBADF, f.b.setIommu(c, V2), "setIommu(closed fd)");
    }

    @ContractTest
    void close_badFd_EBADF(Fixture f) {
        assertErrno(EBADF, f.b.close(-1), "close(-1)");
        int c = f.openContainer();
        assertOk(f.closeFd(c), "close(container)");
        assertErrno(EBADF, f.b.close(c), "close(container) again");
    }

    // ---- open ------------------------------------------------------------------------------------

    /** Containers are cheap and unprivileged: several at once, independent. */
    @ContractTest
    void open_containerTwice_independent(Fixture f) {
        int a = f.openContainer();
        int b = f.openContainer();
        if (a == b) {
            throw new AssertionError("two opens of " + CONTAINER_PATH + " returned the same fd " + a);
        }
        assertRet(0, f.b.getApiVersion(a), "getApiVersion(first container)");
        assertRet(0, f.b.getApiVersion(b), "getApiVersion(second container)");
    }

    /** A VFIO group can be open only once (group.c: group->opened_file). */
    @ContractTest
    void open_groupTwice_EBUSY(Fixture f) {
        f.openGroup();
        assertErrno(EBUSY, f.open(GROUP_PATH), "open(" + GROUP_PATH + ") while open");
    }

    @ContractTest
    void open_groupAgainAfterClose_ok(Fixture f) {
        int g = f.openGroup();
        assertOk(f.closeFd(g), "close(group)");
        f.openGroup();
        MemorySegment st = f.groupStatus();
        assertOk(f.b.groupGetStatus(f.group, st), "groupGetStatus(reopened group)");
        assertHex(VFIO_GROUP_FLAGS_VIABLE, vfio_group_status.flags.get(st), "group status flags after reopen");
    }

    /** Only group 0 exists on the default platform. */
    @ContractTest
    void open_unknownGroup_ENOENT(Fixture f) {
        assertErrno(ENOENT, f.open("/dev/vfio/1"), "open(/dev/vfio/1)");
        assertErrno(ENOENT, f.open("/dev/vfio/42"), "open(/dev/vfio/42)");
    }

    // ---- SET_IOMMU -----------------------------------------------------------------------------

    @ContractTest
    void setIommu_v2_ok(Fixture f) {
        int c = f.attached();
        assertOk(f.setIommuRaw(c, V2), "setIommu(SPAPR_TCE_v2)");
    }

    @ContractTest
    void setIommu_v1_ok(Fixture f) {
        int c = f.attached();
        assertOk(f.setIommuRaw(c, V1), "setIommu(SPAPR_TCE)");
    }

    /** The container gets its privilege from a group: no group, no IOMMU (container.c). */
    @ContractTest
    void setIommu_noGroup_EINVAL(Fixture f) {
        int c = f.openContainer();
        assertErrno(EINVAL, f.setIommuRaw(c, V2), "setIommu(v2) on a container without group");
        assertErrno(EINVAL, f.setIommuRaw(c, V1), "setIommu(v1) on a container without group");
    }

    @ContractTest
    void setIommu_twice_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.setIommuRaw(c, V2), "setIommu(v2) again");
        assertErrno(EINVAL, f.setIommuRaw(c, V1), "setIommu(v1) after v2");
    }

    /**
     * No IOMMU driver on ppc64 accepts anything but 2 and 7 (type1 is not built; EEH and DMA_CC
     * answer 0 here; noiommu is not allowed for a real group): ENODEV, container left unset.
     */
    @ContractTest
    void setIommu_unsupportedType_ENODEV(Fixture f) {
        int c = f.attached();
        for (long type : new long[] {0, VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_DMA_CC_IOMMU, VFIO_EEH,
                VFIO_TYPE1_NESTING_IOMMU, VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, 1000}) {
            assertErrno(ENODEV, f.setIommuRaw(c, type), "setIommu(" + type + ")");
        }
        assertOk(f.setIommuRaw(c, V2), "setIommu(v2) after the refused types");
    }

    // ---- dispatch --------------------------------------------------------------------------------

    /** Before SET_IOMMU the container passes nothing on: every IOMMU ioctl is EINVAL (container.c). */
    @ContractTest
    void containerIoctls_beforeSetIommu_EINVAL(Fixture f) {
        for (boolean withGroup : new boolean[] {false, true}) {
            int c = withGroup ? f.attached() : f.openContainer();
            String where = withGroup ? " (group attached, no SET_IOMMU)" : " (fresh container)";
            long buf = f.normal().address();
            assertErrno(EINVAL, f.b.spaprTceGetInfo(c, f.tceInfo()), "spaprTceGetInfo" + where);
            assertErrno(EINVAL, f.b.iommuMapDma(c, f.dmaMap(buf, 0, 64 * K, RW)), "iommuMapDma" + where);
            assertErrno(EINVAL, f.b.iommuUnmapDma(c, f.dmaUnmap(0, 64 * K)), "iommuUnmapDma" + where);
            assertErrno(EINVAL, f.b.spaprRegisterMemory(c, f.regMem(buf, 64 * K)), "spaprRegisterMemory" + where);
            assertErrno(EINVAL, f.b.spaprUnregisterMemory(c, f.regMem(buf, 64 * K)), "spaprUnregisterMemory" + where);
            assertErrno(EINVAL, f.b.spaprTceCreate(c, f.tceCreate(16, SMALL_WINDOW, 1)), "spaprTceCreate" + where);
            assertErrno(EINVAL, f.b.spaprTceRemove(c, f.tceRemove(0)), "spaprTceRemove" + where);
            assertErrno(EINVAL, f.b.iommuEnable(c), "iommuEnable" + where);
            assertErrno(EINVAL, f.b.iommuDisable(c), "iommuDisable" + where);
            assertErrno(EINVAL, f.b.eehPeOp(c, f.eehOp(VFIO_EEH_PE_GET_STATE)), "eehPeOp" + where);
            assertErrno(EINVAL, f.b.groupGetStatus(c, f.groupStatus()), "groupGetStatus on a container fd" + where);
        }
    }

    /** Detaching the last group releases the IOMMU driver: the container is back to "no SET_IOMMU". */
    @ContractTest
    void getInfo_afterUnsetContainer_EINVAL(Fixture f) {
        int c = f.v2();
        assertOk(f.unsetContainer(f.group), "groupUnsetContainer");
        assertErrno(EINVAL, f.b.spaprTceGetInfo(c, f.tceInfo()), "spaprTceGetInfo after the last group left");
    }

    /** Raw ioctl with this backend's own number reaches the same code as the typed method. */
    @ContractTest
    void ioctl_ownArchNumbers_dispatch(Fixture f) {
        int c = f.openContainer();
        int g = f.openGroup();
        assertRet(0, f.b.ioctl(c, VfioIoctl.VFIO_GET_API_VERSION.request(f.arch()), MemorySegment.NULL),
                "ioctl(container, " + f.arch().id() + " VFIO_GET_API_VERSION)");
        MemorySegment st = f.groupStatus();
        assertOk(f.b.ioctl(g, VfioIoctl.VFIO_GROUP_GET_STATUS.request(f.arch()), st),
                "ioctl(group, " + f.arch().id() + " VFIO_GROUP_GET_STATUS)");
        assertHex(VFIO_GROUP_FLAGS_VIABLE, vfio_group_status.flags.get(st), "group status flags via raw ioctl");
    }

    /** The other architecture's number is just an unknown request: EINVAL before SET_IOMMU (container.c default). */
    @ContractTest
    void ioctl_otherArchNumber_beforeSetIommu_EINVAL(Fixture f) {
        int c = f.openContainer();
        int req = VfioIoctl.VFIO_GET_API_VERSION.request(f.otherArch());
        assertErrno(EINVAL, f.b.ioctl(c, req, MemorySegment.NULL),
                "ioctl(container, " + f.otherArch().id() + " VFIO_GET_API_VERSION = 0x" + Integer.toHexString(req) + ")");
    }

    /** After SET_IOMMU unknown requests fall out of the SPAPR driver's switch: ENOTTY. */
    @ContractTest
    void ioctl_otherArchNumber_afterSetIommu_ENOTTY(Fixture f) {
        int c = f.v2();
        for (VfioIoctl io : new VfioIoctl[] {VfioIoctl.VFIO_GET_API_VERSION, VfioIoctl.VFIO_IOMMU_SPAPR_TCE_GET_INFO,
                VfioIoctl.VFIO_IOMMU_MAP_DMA}) {
            int req = io.request(f.otherArch());
            assertErrno(ENOTTY, f.b.ioctl(c, req, f.bytes(64)),
                    "ioctl(v2 container, " + f.otherArch().id() + " " + io + " = 0x" + Integer.toHexString(req) + ")");
        }
        assertErrno(ENOTTY, f.b.ioctl(c, 0x3B00 | 99, f.bytes(64)), "ioctl(v2 container, _IO(';', 99))");
    }

    /** A group fd knows four requests; anything else is ENOTTY (group.c). */
    @ContractTest
    void ioctl_otherArchNumber_onGroup_ENOTTY(Fixture f) {
        int g = f.openGroup();
        int req = VfioIoctl.VFIO_GROUP_GET_STATUS.request(f.otherArch());
        assertErrno(ENOTTY, f.b.ioctl(g, req, f.groupStatus()),
                "ioctl(group, " + f.otherArch().id() + " VFIO_GROUP_GET_STATUS = 0x" + Integer.toHexString(req) + ")");
        assertErrno(ENOTTY, f.b.ioctl(g, VfioIoctl.VFIO_GET_API_VERSION.request(f.arch()), MemorySegment.NULL),
                "ioctl(group, VFIO_GET_API_VERSION)");
    }

    /** An eventfd has no ioctls at all: the VFS answers ENOTTY. */
    @ContractTest
    void ioctl_vfioRequestOnEventfd_ENOTTY(Fixture f) {
        int e = f.eventfd();
        assertErrno(ENOTTY, f.b.ioctl(e, VfioIoctl.VFIO_GET_API_VERSION.request(f.arch()), MemorySegment.NULL),
                "ioctl(eventfd, VFIO_GET_API_VERSION)");
        assertErrno(ENOTTY, f.b.getApiVersion(e), "getApiVersion(eventfd)");
    }

    // ---- EEH -------------------------------------------------------------------------------------

    /**
     * VFIO_EEH_PE_OP asks each attached group for its EEH PE before looking at the struct. While
     * VFIO owns the device the pSeries kernel has cleared its DMA table base, so
     * eeh_iommu_group_to_pe() finds no device and the answer is ENODEV for any op, v1 or v2 (and
     * CHECK_EXTENSION(VFIO_EEH) is 0 on this guest anyway).
     */
    @ContractTest
    @Tag("to-check")
    void eehPeOp_noEehPe_ENODEV(Fixture f) {
        int c = f.v2();
        for (int op : new int[] {VFIO_EEH_PE_GET_STATE, VFIO_EEH_PE_ENABLE, VFIO_EEH_PE_CONFIGURE}) {
            assertErrno(ENODEV, f.b.eehPeOp(c, f.eehOp(op)), "eehPeOp(op " + op + ") on a v2 container");
        }
        MemorySegment bad = Fixture.argsz(f.eehOp(VFIO_EEH_PE_GET_STATE), 4);
        assertErrno(ENODEV, f.b.eehPeOp(c, bad), "eehPeOp(argsz=4): the PE lookup comes first");
    }
}
