package io.jvfio.abi;

/**
 * Every VFIO ioctl jvfio binds, in the kernel's spelling. All are {@code _IO(VFIO_TYPE, VFIO_BASE + n)}:
 * VFIO encodes neither size nor direction, so the number depends only on the architecture.
 *
 * <p>Several share a number ({@code VFIO_IOMMU_GET_INFO} and {@code VFIO_IOMMU_SPAPR_TCE_GET_INFO} are
 * both BASE+12; {@code VFIO_IOMMU_SPAPR_REGISTER_MEMORY} shares BASE+17 with type1's dirty-page
 * tracking): the kernel tells them apart by the fd and the IOMMU driver, and so does the emulator.
 */
public enum VfioIoctl {
    VFIO_GET_API_VERSION(0),
    VFIO_CHECK_EXTENSION(1),
    VFIO_SET_IOMMU(2),
    VFIO_GROUP_GET_STATUS(3),
    VFIO_GROUP_SET_CONTAINER(4),
    VFIO_GROUP_UNSET_CONTAINER(5),
    VFIO_GROUP_GET_DEVICE_FD(6),
    VFIO_DEVICE_GET_INFO(7),
    VFIO_DEVICE_GET_REGION_INFO(8),
    VFIO_DEVICE_GET_IRQ_INFO(9),
    VFIO_DEVICE_SET_IRQS(10),
    VFIO_DEVICE_RESET(11),
    VFIO_IOMMU_SPAPR_TCE_GET_INFO(12),
    VFIO_IOMMU_MAP_DMA(13),
    VFIO_IOMMU_UNMAP_DMA(14),
    VFIO_IOMMU_ENABLE(15),
    VFIO_IOMMU_DISABLE(16),
    VFIO_IOMMU_SPAPR_REGISTER_MEMORY(17),
    VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY(18),
    VFIO_IOMMU_SPAPR_TCE_CREATE(19),
    VFIO_IOMMU_SPAPR_TCE_REMOVE(20),
    VFIO_EEH_PE_OP(21);

    public static final int VFIO_TYPE = ';';
    public static final int VFIO_BASE = 100;

    private static final VfioIoctl[] BY_OFFSET = values();

    private final int offset;

    VfioIoctl(int offset) {
        this.offset = offset;
    }

    /** n in {@code VFIO_BASE + n}. */
    public int offset() {
        return offset;
    }

    /** The request number on {@code arch}. */
    public int request(Arch arch) {
        return IoctlCodec.io(arch, VFIO_TYPE, VFIO_BASE + offset);
    }

    /** The ioctl whose number is {@code request} on {@code arch}, or null if none is. */
    public static VfioIoctl of(Arch arch, int request) {
        if (IoctlCodec.type(request) != VFIO_TYPE || request != IoctlCodec.io(arch, VFIO_TYPE, IoctlCodec.nr(request))) {
            return null;
        }
        int n = IoctlCodec.nr(request) - VFIO_BASE;
        return n >= 0 && n < BY_OFFSET.length ? BY_OFFSET[n] : null;
    }
}
