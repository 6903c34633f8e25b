package io.jvfio.emul.vfio;

import static io.jvfio.backend.Errno.EBADF;
import static io.jvfio.backend.Errno.EBADFD;
import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOTTY;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_group_status;
import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.FdTable;
import io.jvfio.emul.fs.Permission;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.UserCopy;
import io.jvfio.emul.spapr.Oops;
import io.jvfio.emul.spapr.TceContainer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The VFIO core of Linux 6.12 (drivers/vfio/vfio_main.c, container.c, group.c) with one registered
 * IOMMU driver, the SPAPR TCE driver: opening containers and groups, the container and group ioctls,
 * device fds, and the lifetimes that tie them together (a device fd holds its group's file; the
 * last group leaving a container releases the IOMMU driver). Callers hold the platform lock.
 */
public final class VfioCore {
    private final FdTable fds;
    private final AddressSpace as;
    private final MmIommu mm;
    private final Oops oops;
    private final boolean eeh;
    private final int pageSize;
    private final Map<Integer, VfioGroup> groups = new LinkedHashMap<>();
    /** The inodes of {@code /dev/vfio/N}: who may open them. */
    private final Map<Integer, DeviceNode> nodes = new LinkedHashMap<>();
    private final Credentials cred;
    private final List<VfioContainer> containers = new ArrayList<>();

    public VfioCore(FdTable fds, AddressSpace as, MmIommu mm, Oops oops, boolean eeh, Credentials cred) {
        this.cred = cred;
        this.fds = fds;
        this.as = as;
        this.mm = mm;
        this.oops = oops;
        this.eeh = eeh;
        this.pageSize = (int) as.pageSize();
    }

    /** Registers an IOMMU group (at boot), its node owned and moded as {@code node}. */
    public VfioGroup addGroup(int number, io.jvfio.emul.pseries.PseriesPe pe, List<VfioPciDevice> devices,
            DeviceNode node) {
        nodes.put(number, node);
        VfioGroup g = new VfioGroup(number, pe, devices);
        groups.put(number, g);
        return g;
    }

    /**
     * The end of a device's removal ({@code vfio_unregister_group_dev}, after its last fd closed): it
     * leaves its group; with the group's last device {@code vfio_device_remove_group} deletes the
     * {@code /dev/vfio/N} node and detaches the group from its container (dropping the container's
     * windows if it was the last group); an open group fd then answers ENODEV.
     */
    public void removeDevice(VfioPciDevice dev) {
        for (VfioGroup g : List.copyOf(groups.values())) {
            if (g.devices.remove(dev) && g.devices.isEmpty()) {
                groups.remove(g.number);
                nodes.remove(g.number);
                g.gone = true;
                if (g.container != null) {
                    detachContainer(g);
                }
            }
        }
    }

    public List<VfioGroup> groups() {
        return List.copyOf(groups.values());
    }

    /** Every container still referenced (by its fd or a group), in creation order. */
    public List<VfioContainer> containers() {
        containers.removeIf(c -> !c.alive());
        return List.copyOf(containers);
    }

    // ---- open --------------------------------------------------------------------------------------

    /** open("/dev/vfio/vfio"). */
    public int openContainer() {
        int fd = fds.reserve();
        if (fd < 0) {
            return fd;
        }
        VfioContainer c = new VfioContainer(fd);
        containers.add(c);
        fds.install(fd, new ContainerFile(c));
        return fd;
    }

    /**
     * open("/dev/vfio/N"): ENOENT without such a group; EACCES when the node's mode denies the
     * process (the VFS checks before {@code vfio_group_fops_open} runs); EBUSY if it is open already.
     */
    public int openGroup(int number) {
        int fd = fds.reserve();
        if (fd < 0) {
            return fd;
        }
        VfioGroup g = groups.get(number);
        if (g == null) {
            return -ENOENT;
        }
        int denied = Permission.mayOpenReadWrite(cred, nodes.get(number));
        if (denied != 0) {
            return denied;
        }
        if (g.openedFile != null) {
            return -EBUSY; // "Do we need multiple instances of the group open?  Seems not."
        }
        GroupFile f = new GroupFile(g, this);
        g.openedFile = f;
        fds.install(fd, f);
        return fd;
    }

    // ---- container fd --------------------------------------------------------------------------------

    /** {@code vfio_fops_unl_ioctl}. */
    public long containerIoctl(ContainerFile f, VfioIoctl cmd, long arg, MemorySegment seg) {
        VfioContainer c = f.container;
        if (cmd == VfioIoctl.VFIO_GET_API_VERSION) {
            return VfioUapi.VFIO_API_VERSION;
        }
        if (cmd == VfioIoctl.VFIO_CHECK_EXTENSION) {
            // no driver yet: ask every registered driver (only the SPAPR one; no-iommu mode is off)
            return TceContainer.checkExtension(arg, eeh);
        }
        if (cmd == VfioIoctl.VFIO_SET_IOMMU) {
            return setIommu(c, arg);
        }
        if (c.iommu == null) {
            return -EINVAL; // no driver: every other request, known or not
        }
        return c.iommu.ioctl(cmd, arg, seg);
    }

    /** {@code vfio_ioctl_set_iommu}. */
    private long setIommu(VfioContainer c, long type) {
        if (c.groups.isEmpty() || c.iommu != null) {
            return -EINVAL;
        }
        long ret = -ENODEV;
        if (TceContainer.checkExtension(type, eeh) > 0) {
            TceContainer.OpenResult o = TceContainer.open(type, as, mm, oops, eeh);
            if (o.ret() != 0) {
                ret = o.ret();
            } else {
                TceContainer data = o.container();
                ret = attachGroups(c, data);
                if (ret != 0) {
                    data.release();
                } else {
                    c.iommu = data;
                }
            }
        }
        return ret;
    }

    /** {@code __vfio_container_attach_groups}, with its unwind. */
    private long attachGroups(VfioContainer c, TceContainer data) {
        long ret = -ENODEV;
        for (int i = 0; i < c.groups.size(); i++) {
            ret = data.attachGroup(c.groups.get(i).pe);
            if (ret != 0) {
                for (int j = i - 1; j >= 0; j--) {
                    data.detachGroup(c.groups.get(j).pe);
                }
                return ret;
            }
        }
        return ret;
    }

    // ---- group fd ------------------------------------------------------------------------------------

    /** {@code vfio_group_fops_unl_ioctl}. */
    public long groupIoctl(GroupFile f, VfioIoctl cmd, MemorySegment seg) {
        if (cmd == null) {
            return -ENOTTY;
        }
        VfioGroup g = f.group;
        if (g.gone && cmd != VfioIoctl.VFIO_GROUP_UNSET_CONTAINER) {
            return -ENODEV; // !group->iommu_group (GET_DEVICE_FD: no device left of that name)
        }
        return switch (cmd) {
            case VFIO_GROUP_GET_DEVICE_FD -> getDeviceFd(g, seg);
            case VFIO_GROUP_GET_STATUS -> getStatus(g, seg);
            case VFIO_GROUP_SET_CONTAINER -> setContainer(g, seg);
            case VFIO_GROUP_UNSET_CONTAINER -> unsetContainer(g);
            default -> -ENOTTY;
        };
    }

    private long getStatus(VfioGroup g, MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_group_status.argsz, vfio_group_status.MINSZ);
        if (bad != 0) {
            return bad;
        }
        int flags = g.container != null
                ? VfioUapi.VFIO_GROUP_FLAGS_CONTAINER_SET | VfioUapi.VFIO_GROUP_FLAGS_VIABLE
                : VfioUapi.VFIO_GROUP_FLAGS_VIABLE; // no other DMA owner can claim it here
        vfio_group_status.flags.set(seg, flags);
        return 0;
    }

    private long setContainer(VfioGroup g, MemorySegment seg) {
        if (!UserCopy.ok(seg, Integer.BYTES)) {
            return -EFAULT;
        }
        int fd = UserCopy.getInt(seg); // get_user(fd, (int __user *)arg)
        EmuFile f = fds.get(fd);
        if (f == null) {
            return -EBADF;
        }
        if (g.container != null) {
            return -EINVAL;
        }
        if (f instanceof ContainerFile cf) {
            return attachGroup(cf.container, g);
        }
        return -EBADFD; // neither a VFIO container nor an iommufd
    }

    /** {@code vfio_container_attach_group}: claim DMA ownership (the PE loses its windows), then the driver. */
    private long attachGroup(VfioContainer c, VfioGroup g) {
        for (VfioPciDevice d : g.devices) {
            long r = g.pe.takeOwnership();
            if (r != 0) {
                return -1; // pSeries returns -1
            }
        }
        if (c.iommu != null) {
            long ret = c.iommu.attachGroup(g.pe);
            if (ret != 0) {
                releaseDmaOwner(g);
                return ret;
            }
        }
        g.container = c;
        g.containerUsers = 1;
        c.groups.add(0, g);
        c.get();
        return 0;
    }

    private static void releaseDmaOwner(VfioGroup g) {
        for (VfioPciDevice d : g.devices) {
            g.pe.releaseOwnership();
        }
    }

    private long unsetContainer(VfioGroup g) {
        if (g.container == null) {
            return -EINVAL;
        }
        if (g.containerUsers != 1) {
            return -EBUSY; // device fds are open
        }
        detachContainer(g);
        return 0;
    }

    /** {@code vfio_group_detach_container}. */
    private void detachContainer(VfioGroup g) {
        VfioContainer c = g.container;
        TceContainer driver = c.iommu;
        if (driver != null) {
            driver.detachGroup(g.pe);
        }
        releaseDmaOwner(g);
        g.container = null;
        g.containerUsers = 0;
        c.groups.remove(g);
        if (driver != null && c.groups.isEmpty()) {
            driver.release();
            c.iommu = null;
        }
        c.put();
    }

    /** The group file's last reference went. */
    void groupRelease(GroupFile f) {
        VfioGroup g = f.group;
        if (g.container != null) {
            detachContainer(g);
        }
        if (g.openedFile == f) {
            g.openedFile = null;
        }
    }

    // ---- device fds ------------------------------------------------------------------------------------

    /** {@code strndup_user(arg, PAGE_SIZE)}: the name, or null with the errno in {@code err[0]}. */
    private String strndupUser(MemorySegment seg, long[] err) {
        if (seg == null || seg.address() == 0) {
            err[0] = -EFAULT;
            return null;
        }
        long lim = Math.min(seg.byteSize(), pageSize);
        for (long i = 0; i < lim; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) == 0) {
                return seg.getString(0, StandardCharsets.ISO_8859_1); // the NUL is within the copied bytes
            }
        }
        err[0] = seg.byteSize() >= pageSize ? -EINVAL : -EFAULT;
        return null;
    }

    private long getDeviceFd(VfioGroup g, MemorySegment seg) {
        long[] err = new long[1];
        String name = strndupUser(seg, err);
        if (name == null) {
            return err[0];
        }
        VfioPciDevice dev = null;
        for (VfioPciDevice d : g.devices) { // vfio_device_get_from_name
            int m = d.match(name);
            if (m < 0) {
                return m;
            }
            if (m > 0) {
                dev = d;
                break;
            }
        }
        if (dev == null) {
            return -ENODEV;
        }
        int fd = fds.reserve();
        if (fd < 0) {
            return fd;
        }
        // vfio_df_group_open
        if (g.container == null) {
            return -EINVAL;
        }
        if (dev.openCount() == 0) {
            // vfio_device_group_use_iommu -> vfio_group_use_container
            if (g.container.iommu == null) {
                return -EINVAL;
            }
            g.openedFile.get();
            g.containerUsers++;
        }
        dev.open();
        fds.install(fd, new DeviceFile(dev, g, this));
        return fd;
    }

    /** The device file's last reference went: {@code vfio_df_group_close}. */
    void deviceRelease(DeviceFile f) {
        VfioPciDevice dev = f.device;
        dev.close();
        if (dev.openCount() == 0) {
            VfioGroup g = f.group;
            g.containerUsers--;
            GroupFile gf = g.openedFile;
            if (gf != null) {
                gf.put();
            }
            if (dev.removing()) {
                removeDevice(dev); // the removal was waiting for this close
            }
        }
    }
}
