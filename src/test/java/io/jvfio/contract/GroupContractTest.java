package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.*;
import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import io.jvfio.abi.vfio_group_status;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;

/** The group fd (/dev/vfio/0): status, container binding, device fds. */
@Tag("contract")
class GroupContractTest {

    private static long status(Fixture f, int g) {
        MemorySegment st = f.groupStatus();
        assertOk(f.b.groupGetStatus(g, st), "groupGetStatus");
        return vfio_group_status.flags.get(st);
    }

    // ---- GET_STATUS ------------------------------------------------------------------------------

    /** Observed: flags=0x1 (VIABLE) before, 0x3 (VIABLE|CONTAINER_SET) after SET_CONTAINER. */
    @ContractTest
    void groupGetStatus_beforeAndAfterSetContainer(Fixture f) {
        int c = f.openContainer();
        int g = f.openGroup();
        assertHex(VFIO_GROUP_FLAGS_VIABLE, status(f, g), "status flags of a fresh group");
        f.setContainer(g, c);
        assertHex(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET, status(f, g), "status flags after SET_CONTAINER");
        assertOk(f.unsetContainer(g), "groupUnsetContainer");
        assertHex(VFIO_GROUP_FLAGS_VIABLE, status(f, g), "status flags after UNSET_CONTAINER");
    }

    /** The kernel copies in and out only argsz's first 8 bytes: a larger argsz is fine. */
    @ContractTest
    void groupGetStatus_largerArgsz_ok(Fixture f) {
        int g = f.openGroup();
        MemorySegment st = f.bytes(64);
        st.fill((byte) 0xff);
        Fixture.argsz(st, 64);
        assertOk(f.b.groupGetStatus(g, st), "groupGetStatus(argsz=64)");
        assertHex(VFIO_GROUP_FLAGS_VIABLE, vfio_group_status.flags.get(st), "status flags");
        assertHex(-1L, st.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 8), "bytes 8..15 (not written)");
    }

    @ContractTest
    void groupGetStatus_argszBelow8_EINVAL(Fixture f) {
        int g = f.openGroup();
        assertErrno(EINVAL, f.b.groupGetStatus(g, Fixture.argsz(f.groupStatus(), 7)), "groupGetStatus(argsz=7)");
        assertErrno(EINVAL, f.b.groupGetStatus(g, Fixture.argsz(f.groupStatus(), 0)), "groupGetStatus(argsz=0)");
    }

    @ContractTest
    void groupGetStatus_badFd_EBADF(Fixture f) {
        assertErrno(EBADF, f.b.groupGetStatus(-1, f.groupStatus()), "groupGetStatus(-1)");
        int g = f.openGroup();
        assertOk(f.closeFd(g), "close(group)");
        assertErrno(EBADF, f.b.groupGetStatus(g, f.groupStatus()), "groupGetStatus(closed group fd)");
    }

    @ContractTest
    void groupGetStatus_nullPointer_EFAULT(Fixture f) {
        int g = f.openGroup();
        assertErrno(EFAULT, f.b.groupGetStatus(g, MemorySegment.NULL), "groupGetStatus(NULL)");
    }

    // ---- SET_CONTAINER / UNSET_CONTAINER ---------------------------------------------------------------

    @ContractTest
    void groupSetContainer_twice_EINVAL(Fixture f) {
        int c = f.attached();
        assertErrno(EINVAL, f.setContainerRaw(f.group, c), "groupSetContainer(same container) again");
        int other = f.openContainer();
        assertErrno(EINVAL, f.setContainerRaw(f.group, other), "groupSetContainer(another container) while set");
    }

    @ContractTest
    void groupSetContainer_badContainerFd_EBADF(Fixture f) {
        int g = f.openGroup();
        assertErrno(EBADF, f.setContainerRaw(g, -1), "groupSetContainer(container fd -1)");
        int c = f.openContainer();
        assertOk(f.closeFd(c), "close(container)");
        assertErrno(EBADF, f.setContainerRaw(g, c), "groupSetContainer(closed container fd)");
    }

    /** An fd that is neither a VFIO container nor an iommufd: EBADFD. */
    @ContractTest
    void groupSetContainer_notAContainer_EBADFD(Fixture f) {
        int g = f.openGroup();
        int e = f.eventfd();
        assertErrno(EBADFD, f.setContainerRaw(g, e), "groupSetContainer(eventfd)");
        assertErrno(EBADFD, f.setContainerRaw(g, g), "groupSetContainer(the group fd itself)");
        assertHex(VFIO_GROUP_FLAGS_VIABLE, status(f, g), "status flags after the refused SET_CONTAINERs");
    }

    @ContractTest
    void groupUnsetContainer_noContainer_EINVAL(Fixture f) {
        int g = f.openGroup();
        assertErrno(EINVAL, f.unsetContainer(g), "groupUnsetContainer without container");
        int c = f.openContainer();
        f.setContainer(g, c);
        assertOk(f.unsetContainer(g), "groupUnsetContainer");
        assertErrno(EINVAL, f.unsetContainer(g), "groupUnsetContainer again");
    }

    /** A device fd is a container user: the group cannot leave while one is open. */
    @ContractTest
    void groupUnsetContainer_withDeviceOpen_EBUSY(Fixture f) {
        f.v2Device();
        assertErrno(EBUSY, f.unsetContainer(f.group), "groupUnsetContainer with the device fd open");
        assertOk(f.closeFd(f.device), "close(device)");
        assertOk(f.unsetContainer(f.group), "groupUnsetContainer after closing the device");
    }

    /** Removing the last group deprivileges the container: it can be attached and typed again. */
    @ContractTest
    void groupUnsetContainer_containerReusable(Fixture f) {
        int c = f.v2();
        assertOk(f.unsetContainer(f.group), "groupUnsetContainer");
        f.setContainer(f.group, c);
        assertHex(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET, status(f, f.group), "status flags");
        assertOk(f.setIommuRaw(c, V1), "setIommu(v1) on the reused container");
    }

    /** Closing the group fd detaches it: the container has no group, hence no IOMMU driver, any more. */
    @ContractTest
    void groupClose_detachesContainer(Fixture f) {
        int c = f.v2();
        assertOk(f.closeFd(f.group), "close(group)");
        assertErrno(EINVAL, f.b.spaprTceGetInfo(c, f.tceInfo()), "spaprTceGetInfo after the group fd was closed");
        int g = f.openGroup();
        assertHex(VFIO_GROUP_FLAGS_VIABLE, status(f, g), "status flags of the reopened group");
    }

    /**
     * A device fd holds a reference to the group's file: closing the group fd does not release the
     * group, so it cannot be opened again until the device fd is closed too (group.c opened_file).
     */
    @ContractTest
    @Tag("to-check")
    void open_groupWhileDeviceFdHoldsIt_EBUSY(Fixture f) {
        f.v2Device();
        assertOk(f.closeFd(f.group), "close(group) with the device fd open");
        assertErrno(EBUSY, f.open(GROUP_PATH), "open(" + GROUP_PATH + ") while the device fd holds the group");
        assertOk(f.closeFd(f.device), "close(device)");
        int g = f.openGroup();
        assertHex(VFIO_GROUP_FLAGS_VIABLE, status(f, g), "status flags after the device released the group");
    }

    // ---- GET_DEVICE_FD ---------------------------------------------------------------------------

    /** The group path may open a device several times. */
    @ContractTest
    void groupGetDeviceFd_ok_twice(Fixture f) {
        f.v2();
        int d1 = f.openDevice();
        int d2 = f.openDevice();
        if (d1 == d2) {
            throw new AssertionError("two device fds are the same: " + d1);
        }
    }

    @ContractTest
    void groupGetDeviceFd_beforeSetContainer_EINVAL(Fixture f) {
        int g = f.openGroup();
        assertErrno(EINVAL, f.getDeviceFd(g, DEVICE), "groupGetDeviceFd before SET_CONTAINER");
    }

    @ContractTest
    void groupGetDeviceFd_beforeSetIommu_EINVAL(Fixture f) {
        f.attached();
        assertErrno(EINVAL, f.getDeviceFd(f.group, DEVICE), "groupGetDeviceFd before SET_IOMMU");
    }

    /** The name is looked up first: ENODEV even before a container is set. */
    @ContractTest
    void groupGetDeviceFd_unknownName_ENODEV(Fixture f) {
        int g = f.openGroup();
        assertErrno(ENODEV, f.getDeviceFd(g, "0000:00:01.0"), "groupGetDeviceFd(0000:00:01.0) without container");
        f.openContainer();
        f.setContainer(g, f.container);
        f.setIommu(f.container, V2);
        assertErrno(ENODEV, f.getDeviceFd(g, "0000:00:01.0"), "groupGetDeviceFd(0000:00:01.0)");
        assertErrno(ENODEV, f.getDeviceFd(g, ""), "groupGetDeviceFd(\"\")");
        assertErrno(ENODEV, f.getDeviceFd(g, "0000:00:00.0x"), "groupGetDeviceFd(0000:00:00.0x)");
    }

    /**
     * vfio-pci's match() accepts "NAME vf_token=UUID": anything else after the name and a blank is an
     * unrecognised option, EINVAL rather than "no such device".
     */
    @ContractTest
    @Tag("to-check")
    void groupGetDeviceFd_unknownOption_EINVAL(Fixture f) {
        f.v2();
        assertErrno(EINVAL, f.getDeviceFd(f.group, DEVICE + " foo=1"), "groupGetDeviceFd(\"" + DEVICE + " foo=1\")");
    }
}
