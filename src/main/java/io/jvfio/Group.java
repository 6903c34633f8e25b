package io.jvfio;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.vfio_group_status;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An IOMMU group ({@code /dev/vfio/N}): the unit of isolation. Attach it to a container, set the
 * container's IOMMU type, then open its devices. Closing the group closes its devices first; the
 * kernel then detaches it from its container (on pSeries the platform takes the DMA windows back).
 *
 * <p>Thread-safe: every method may be called from any thread, and {@link #close()} from another
 * thread makes later calls throw {@link IllegalStateException}, never reach a reused fd.
 */
public final class Group implements AutoCloseable {
    private final Vfio vfio;
    private final VfioBackend backend;
    private final int number;
    private final FdHandle fd;
    private final List<Device> devices = new CopyOnWriteArrayList<>();
    private volatile Container container;

    Group(Vfio vfio, int number, FdHandle fd) {
        this.vfio = vfio;
        this.backend = vfio.backend();
        this.number = number;
        this.fd = fd;
    }

    /**
     * The IOMMU group number.
     *
     * @return N of {@code /dev/vfio/N}
     */
    public int number() {
        return number;
    }

    private long check(io.jvfio.abi.VfioIoctl ioctl, long r) throws VfioException {
        if (r < 0) {
            throw Errors.ioctl(backend, ioctl, "(group " + number + ")", (int) -r);
        }
        return r;
    }

    /**
     * VFIO_GROUP_GET_STATUS.
     *
     * @return the status flags
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the group (or its {@link Vfio}) is closed
     */
    public GroupStatus status() throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_group_status.fill(a.allocate(vfio_group_status.LAYOUT));
            long r = backend.groupGetStatus(f, s);
            IoctlLog.log(VFIO_GROUP_GET_STATUS, VFIO_GROUP_GET_STATUS.request(backend.arch()), f, r);
            check(VFIO_GROUP_GET_STATUS, r);
            return new GroupStatus(vfio_group_status.flags.get(s));
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_GROUP_SET_CONTAINER. On pSeries this is when the platform hands the group's DMA windows over.
     *
     * @param c the container to join
     * @throws VfioGuardException if the container has a group and a window and the running kernel has
     *     CVE-2025-21713 (6.11 to 6.12.12, 6.13.0 and 6.13.1), where this call crashes it (nothing is issued)
     * @throws VfioException if the kernel refused (EINVAL: already in a container; EPERM: the
     *     platform kept the windows, or pSeries cannot share the container's windows with this group)
     * @throws IllegalStateException if the group or the container is closed
     * @throws NullPointerException if {@code c} is null
     */
    public void attach(Container c) throws VfioException {
        Objects.requireNonNull(c, "container");
        int f = fd.acquire();
        try {
            int cf = c.acquire();
            try {
                c.guardAttach(this);
                long r = backend.groupSetContainer(f, cf);
                IoctlLog.log(VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_SET_CONTAINER.request(backend.arch()), f, r);
                check(VFIO_GROUP_SET_CONTAINER, r);
            } finally {
                c.release();
            }
            container = c;
            c.attached(this);
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_GROUP_UNSET_CONTAINER.
     *
     * @throws VfioException if the kernel refused (EBUSY while devices are open, EINVAL without a container)
     * @throws IllegalStateException if the group (or its {@link Vfio}) is closed
     */
    public void detach() throws VfioException {
        int f = fd.acquire();
        try {
            long r = backend.groupUnsetContainer(f);
            IoctlLog.log(VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER.request(backend.arch()), f, r);
            check(VFIO_GROUP_UNSET_CONTAINER, r);
            Container c = container;
            container = null;
            if (c != null) {
                c.detached(this);
            }
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_GROUP_GET_DEVICE_FD, e.g. {@code openDevice("0000:00:00.0")}. The device closes with the group.
     *
     * @param pciAddress the device's PCI address, domain included
     * @return the open device
     * @throws VfioException if the kernel refused (ENODEV: not in this group; EINVAL: no container or
     *     IOMMU type yet)
     * @throws IllegalStateException if the group (or its {@link Vfio}) is closed
     * @throws NullPointerException if {@code pciAddress} is null
     */
    public Device openDevice(String pciAddress) throws VfioException {
        Objects.requireNonNull(pciAddress, "pciAddress");
        int f = fd.acquire();
        try {
            long r = backend.groupGetDeviceFd(f, pciAddress);
            IoctlLog.log(VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_DEVICE_FD.request(backend.arch()), f, r);
            check(VFIO_GROUP_GET_DEVICE_FD, r);
            Device d = new Device(vfio, this, pciAddress, new FdHandle(backend, (int) r, "device " + pciAddress));
            devices.add(d);
            return d;
        } finally {
            fd.release();
        }
    }

    void deviceClosed(Device d) {
        devices.remove(d);
    }

    /**
     * Whether the group fd is open.
     *
     * @return false after {@link #close()}, its container's close or its {@link Vfio}'s close
     */
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Closes the group's devices, then the group fd (the kernel detaches it). Idempotent. */
    @Override
    public void close() {
        for (Device d : devices) {
            d.close();
        }
        if (fd.close()) {
            Container c = container;
            container = null;
            if (c != null) {
                c.detached(this);
            }
            vfio.closed(this);
        }
    }
}
