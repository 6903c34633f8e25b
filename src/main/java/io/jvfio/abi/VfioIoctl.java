package io.jvfio.abi;

/**
 * Every VFIO ioctl jvfio binds, in the kernel's spelling, with the kind of fd that answers it. All
 * are {@code _IO(VFIO_TYPE, VFIO_BASE + n)}: VFIO encodes neither size nor direction, so the number
 * depends only on the architecture.
 *
 * <p>Numbers are reused across fd kinds: BASE+12 is {@code VFIO_IOMMU_SPAPR_TCE_GET_INFO} on a
 * container and {@code VFIO_DEVICE_GET_PCI_HOT_RESET_INFO} on a device, BASE+13 {@code MAP_DMA} and
 * {@code VFIO_DEVICE_PCI_HOT_RESET}. The kernel tells them apart by the fd, and so does
 * {@link #of(Arch, Fd, int)}. Within one fd kind every number has one name.
 */
public enum VfioIoctl {
    VFIO_GET_API_VERSION(0, Fd.CONTAINER),
    VFIO_CHECK_EXTENSION(1, Fd.CONTAINER),
    VFIO_SET_IOMMU(2, Fd.CONTAINER),
    VFIO_GROUP_GET_STATUS(3, Fd.GROUP),
    VFIO_GROUP_SET_CONTAINER(4, Fd.GROUP),
    VFIO_GROUP_UNSET_CONTAINER(5, Fd.GROUP),
    VFIO_GROUP_GET_DEVICE_FD(6, Fd.GROUP),
    VFIO_DEVICE_GET_INFO(7, Fd.DEVICE),
    VFIO_DEVICE_GET_REGION_INFO(8, Fd.DEVICE),
    VFIO_DEVICE_GET_IRQ_INFO(9, Fd.DEVICE),
    VFIO_DEVICE_SET_IRQS(10, Fd.DEVICE),
    VFIO_DEVICE_RESET(11, Fd.DEVICE),
    VFIO_IOMMU_SPAPR_TCE_GET_INFO(12, Fd.CONTAINER),
    VFIO_IOMMU_MAP_DMA(13, Fd.CONTAINER),
    VFIO_IOMMU_UNMAP_DMA(14, Fd.CONTAINER),
    VFIO_IOMMU_ENABLE(15, Fd.CONTAINER),
    VFIO_IOMMU_DISABLE(16, Fd.CONTAINER),
    VFIO_IOMMU_SPAPR_REGISTER_MEMORY(17, Fd.CONTAINER),
    VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY(18, Fd.CONTAINER),
    VFIO_IOMMU_SPAPR_TCE_CREATE(19, Fd.CONTAINER),
    VFIO_IOMMU_SPAPR_TCE_REMOVE(20, Fd.CONTAINER),
    VFIO_EEH_PE_OP(21, Fd.CONTAINER),
    VFIO_DEVICE_GET_PCI_HOT_RESET_INFO(12, Fd.DEVICE),
    VFIO_DEVICE_PCI_HOT_RESET(13, Fd.DEVICE),
    VFIO_DEVICE_IOEVENTFD(16, Fd.DEVICE),
    VFIO_DEVICE_FEATURE(17, Fd.DEVICE);

    /** The kind of fd a request is addressed to: {@code /dev/vfio/vfio}, {@code /dev/vfio/N}, or a device fd. */
    public enum Fd {
        CONTAINER, GROUP, DEVICE
    }

    public static final int VFIO_TYPE = ';';
    public static final int VFIO_BASE = 100;

    private final int fromBase;
    private final Fd fd;

    VfioIoctl(int fromBase, Fd fd) {
        this.fromBase = fromBase;
        this.fd = fd;
    }

    /** The request's {@code _IOC_NR}: {@code VFIO_BASE + n}. */
    public int nr() {
        return VFIO_BASE + fromBase;
    }

    /** The kind of fd that answers this request. */
    public Fd fd() {
        return fd;
    }

    /** The request number on {@code arch}. */
    public int request(Arch arch) {
        return IoctlCodec.io(arch, VFIO_TYPE, nr());
    }

    /** The ioctl whose number is {@code request} on {@code arch} when sent to an fd of kind {@code fd}, or null if none is. */
    public static VfioIoctl of(Arch arch, Fd fd, int request) {
        if (IoctlCodec.type(request) != VFIO_TYPE || request != IoctlCodec.io(arch, VFIO_TYPE, IoctlCodec.nr(request))) {
            return null;
        }
        int nr = IoctlCodec.nr(request);
        for (VfioIoctl v : values()) {
            if (v.fd == fd && v.nr() == nr) {
                return v;
            }
        }
        return null;
    }
}
