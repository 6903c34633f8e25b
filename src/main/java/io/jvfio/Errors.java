package io.jvfio;

import static io.jvfio.backend.Errno.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.NodeAccess;
import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.KernelRelease;

/**
 * Turns a failed call into the right {@link VfioException} leaf with advice. The advice is specific
 * where the cause is known from the kernel's order of checks, and generic otherwise.
 */
final class Errors {
    private Errors() {}

    static VfioException open(VfioBackend backend, String path, int errno) {
        String op = "open(" + path + ")";
        boolean container = path.equals(Vfio.CONTAINER_PATH);
        if (backend.emulated() && errno == ENOENT && !container) {
            // The emulated platform has no sysfs to bind devices in: its groups are the profile's.
            return new VfioUnavailableException(op, 0, errno, "the " + backend.description()
                    + " platform has no such IOMMU group: its groups are " + backend.groups() + " (jvfio info lists them)");
        }
        if (!backend.emulated() && errno == ENOENT && !container && KernelRelease.lacksSpaprPseries(KernelRelease.running())) {
            // Before 6.11 vfio-pci cannot bind a device in a pSeries guest, so no group node ever appears.
            return new VfioUnavailableException(op, 0, errno, KernelRelease.tooOld(KernelRelease.running(), "no "
                    + path + " exists: vfio-pci cannot take a device on it (its probe fails with EINVAL (22), dmesg)"));
        }
        return switch (errno) {
            case ENOENT -> new VfioUnavailableException(op, 0, errno, container
                    ? "no VFIO on this host: load the vfio modules, or use the emulated backend (modprobe vfio-pci "
                            + "vfio_iommu_spapr_tce; Vfio.emulated)"
                    : "no such IOMMU group: bind a device to vfio-pci (echo vfio-pci > /sys/bus/pci/devices/ADDR/driver_override; "
                            + "echo ADDR > /sys/bus/pci/drivers_probe), then see /dev/vfio/");
            case EACCES, EPERM -> new VfioPermissionException(op, 0, errno, permissionAdvice(backend, path, container));
            case EBUSY -> new VfioIoctlException(op, 0, errno,
                    "the group is already open (by this or another process): VFIO allows one opener at a time");
            case ENODEV, ENXIO -> new VfioUnavailableException(op, 0, errno,
                    "the device node exists but no driver answers: load vfio and vfio-pci");
            default -> new VfioSystemException(op, 0, errno, "check the device node and the kernel log (dmesg)");
        };
    }

    /**
     * Who owns the node and who asks, and the udev rule that hands a group's node to the user for good
     * (chown lasts until the next boot or rebind).
     */
    static String permissionAdvice(VfioBackend backend, String path, boolean container) {
        NodeAccess a = backend.nodeAccess(path);
        String is = a.node() == null ? "" : path + " is " + a.node() + " (uid:gid mode) and ";
        if (container) {
            return "permission denied: " + is + "the container node must be world read-write as distributions ship it: "
                    + "chmod 0666 " + path;
        }
        String owner = a.user().startsWith("uid ") ? a.user().substring(4) : a.user();
        String group = path.substring(path.lastIndexOf('/') + 1);
        return "permission denied: " + is + "this process runs as " + a.user() + " without CAP_DAC_OVERRIDE: hand the "
                + "group to it with a udev rule, e.g. /etc/udev/rules.d/90-jvfio.rules: SUBSYSTEM==\"vfio\", KERNEL==\""
                + group + "\", OWNER=\"" + owner + "\", MODE=\"0600\" (then udevadm trigger), or for now chown " + owner
                + " " + path + "; or run as root. Then give it locked memory: ulimit -l, or LimitMEMLOCK= in its systemd "
                + "unit (jvfio plan prints how much)";
    }

    static VfioException ioctl(VfioBackend backend, VfioIoctl ioctl, String detail, int errno) {
        int request = ioctl.request(backend.arch());
        String op = detail == null || detail.isEmpty() ? ioctl.name() : ioctl.name() + " " + detail;
        if (errno == EACCES) {
            return new VfioPermissionException(op, request, errno, "permission denied: run as root or grant access");
        }
        String advice = advice(ioctl, errno);
        if (backend.emulated()) {
            // Host steps (sysfs, dmesg) mean nothing on the emulated platform.
            advice = advice.replace(SYSFS_DEVICES, "jvfio info lists the emulated profile's devices")
                    .replace(KERNEL_LOG, "the emulator answers as the 6.12 pSeries kernel does (docs/fidelity.md)");
        }
        return new VfioIoctlException(op, request, errno, advice);
    }

    /**
     * A failed call that charges locked memory: for ENOMEM the advice names the limit in force, the
     * {@code neededBytes} the call charges and the fix; any other errno as {@link #ioctl}.
     */
    static VfioException charging(VfioBackend backend, VfioIoctl ioctl, String detail, int errno, long neededBytes) {
        if (errno != ENOMEM) {
            return ioctl(backend, ioctl, detail, errno);
        }
        String op = detail == null || detail.isEmpty() ? ioctl.name() : ioctl.name() + " " + detail;
        return new VfioIoctlException(op, ioctl.request(backend.arch()), errno,
                LockedMemoryAdvice.advice(backend.lockedMemory(), neededBytes, "this " + ioctl.name()));
    }

    private static final String SYSFS_DEVICES = "see /sys/kernel/iommu_groups/N/devices";
    private static final String KERNEL_LOG = "see the kernel log (dmesg)";

    static VfioException system(String op, int errno, String advice) {
        return new VfioSystemException(op, 0, errno, advice);
    }

    /** Advice for one (ioctl, errno) pair, from the kernel's checks (spapr-semantics.md, §2). */
    static String advice(VfioIoctl ioctl, int errno) {
        if (errno == EBADF) {
            return "the fd is not open: open the container/group/device first, and do not use it after close";
        }
        if (errno == ENOTTY) {
            return switch (ioctl) {
                case VFIO_IOMMU_ENABLE, VFIO_IOMMU_DISABLE -> "ENABLE/DISABLE exist only on SPAPR v1 containers";
                case VFIO_IOMMU_SPAPR_REGISTER_MEMORY, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, VFIO_IOMMU_SPAPR_TCE_CREATE,
                        VFIO_IOMMU_SPAPR_TCE_REMOVE -> "this call exists only on SPAPR v2 containers: setIommu(SPAPR_TCE_V2)";
                default -> "this fd does not understand the request: wrong fd kind, or an IOMMU type without it";
            };
        }
        return switch (ioctl) {
            case VFIO_SET_IOMMU -> switch (errno) {
                case EINVAL -> "attach a group first, and set the IOMMU type only once; v2 also needs a platform with DDW";
                case EBUSY -> "a v1 container takes exactly one group";
                case ENODEV -> "no IOMMU driver accepted the type: on POWER use SPAPR_TCE_V1 or SPAPR_TCE_V2";
                default -> generic(errno);
            };
            case VFIO_GROUP_SET_CONTAINER -> switch (errno) {
                case EINVAL -> "the group already belongs to a container";
                case EPERM -> "the platform refused to hand the group's DMA windows over (pSeries take_ownership)";
                default -> generic(errno);
            };
            case VFIO_GROUP_UNSET_CONTAINER -> switch (errno) {
                case EINVAL -> "the group has no container";
                case EBUSY -> "close the group's device fds first";
                default -> generic(errno);
            };
            case VFIO_GROUP_GET_DEVICE_FD -> switch (errno) {
                case EINVAL -> "attach the group to a container and set its IOMMU type first";
                case ENODEV -> "no such device in this group: " + SYSFS_DEVICES;
                default -> generic(errno);
            };
            case VFIO_IOMMU_MAP_DMA -> switch (errno) {
                case EPERM -> "the container is not enabled: v2 needs registerMemory() first, v1 needs enable()";
                case ENXIO -> "no DMA window contains the IOVA: see tceInfo() and createWindow()";
                case EINVAL -> "IOVA, size and address must be multiples of the window's TCE page size, the memory must be "
                        + "registered (v2), and its backing page at least the TCE page (hugetlb for TCE pages above 4 KiB)";
                default -> generic(errno);
            };
            case VFIO_IOMMU_UNMAP_DMA -> switch (errno) {
                case EPERM -> "the container is not enabled";
                case ENXIO -> "no DMA window contains the IOVA";
                case EINVAL -> "size must be a multiple of the window's TCE page size, and flags must be 0";
                default -> generic(errno);
            };
            case VFIO_IOMMU_SPAPR_REGISTER_MEMORY -> switch (errno) {
                case EBUSY -> "this exact region is already registered";
                case EINVAL -> "address and size must be page aligned, and the region must not overlap another registered one";
                case ENOMEM -> "locked memory limit reached: raise RLIMIT_MEMLOCK (ulimit -l) or run with CAP_IPC_LOCK";
                default -> generic(errno);
            };
            case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY -> switch (errno) {
                case ENOENT -> "no region with exactly this address and size is registered";
                case EBUSY -> "the region is still mapped: unmap it first";
                default -> generic(errno);
            };
            case VFIO_IOMMU_SPAPR_TCE_CREATE -> switch (errno) {
                case ENOSPC -> "both window slots are in use: remove a window first";
                case EINVAL -> "the page size must be in ddw.pgsizes, levels must be 1 on pSeries, and the window a power "
                        + "of two no larger than the hypervisor's largest block";
                case ENODEV -> "the hypervisor refused the window; pSeries now refuses every DDW for this device until reboot";
                case EPERM -> "a 64-bit window already exists, or the platform lacks the window operations";
                default -> generic(errno);
            };
            case VFIO_IOMMU_SPAPR_TCE_REMOVE -> errno == EINVAL
                    ? "no window contains that address" : generic(errno);
            case VFIO_IOMMU_ENABLE -> switch (errno) {
                case EBUSY -> "already enabled";
                case ENOMEM -> "locked memory limit reached: raise RLIMIT_MEMLOCK or run with CAP_IPC_LOCK";
                default -> generic(errno);
            };
            case VFIO_EEH_PE_OP -> switch (errno) {
                case ENODEV -> "no EEH on this platform (CHECK_EXTENSION(VFIO_EEH) is 0)";
                default -> generic(errno);
            };
            case VFIO_IOMMU_SPAPR_TCE_GET_INFO -> switch (errno) {
                case ENXIO -> "attach a group to the container first";
                case EINVAL -> "argsz must be at least 16";
                default -> generic(errno);
            };
            default -> errno == EINVAL ? "the container has no IOMMU type yet, or argsz/flags are wrong" : generic(errno);
        };
    }

    private static String generic(int errno) {
        return switch (errno) {
            case EINVAL -> "an argument is out of range (argsz, flags, alignment)";
            case EPERM -> "not permitted in this state";
            case ENOMEM -> "out of memory or over RLIMIT_MEMLOCK";
            case EFAULT -> "a pointer does not point at this process's memory";
            default -> KERNEL_LOG;
        };
    }
}
