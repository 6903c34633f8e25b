package io.jvfio.abi;

/**
 * The VFIO UAPI constants jvfio uses, named and valued as in {@code <linux/vfio.h>}, and the poll(2)
 * event bits ({@code <asm-generic/poll.h>}) the seam's {@code poll} and both backends share.
 */
public final class VfioUapi {
    private VfioUapi() {}

    public static final int VFIO_API_VERSION = 0;

    // Extensions and IOMMU types (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU).
    public static final int VFIO_TYPE1_IOMMU = 1;
    public static final int VFIO_SPAPR_TCE_IOMMU = 2;
    public static final int VFIO_TYPE1v2_IOMMU = 3;
    public static final int VFIO_DMA_CC_IOMMU = 4;
    public static final int VFIO_EEH = 5;
    public static final int VFIO_TYPE1_NESTING_IOMMU = 6;
    public static final int VFIO_SPAPR_TCE_v2_IOMMU = 7;
    public static final int VFIO_NOIOMMU_IOMMU = 8;
    public static final int VFIO_UNMAP_ALL = 9;
    public static final int VFIO_UPDATE_VADDR = 10;

    public static final int VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
    public static final int VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    public static final int VFIO_DEVICE_FLAGS_RESET = 1 << 0;
    public static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    public static final int VFIO_DEVICE_FLAGS_CAPS = 1 << 7;

    public static final int VFIO_REGION_INFO_FLAG_READ = 1 << 0;
    public static final int VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
    public static final int VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
    public static final int VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;
    public static final int VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;

    public static final int VFIO_PCI_BAR0_REGION_INDEX = 0;
    public static final int VFIO_PCI_BAR5_REGION_INDEX = 5;
    public static final int VFIO_PCI_ROM_REGION_INDEX = 6;
    public static final int VFIO_PCI_CONFIG_REGION_INDEX = 7;
    public static final int VFIO_PCI_VGA_REGION_INDEX = 8;
    public static final int VFIO_PCI_NUM_REGIONS = 9;

    public static final int VFIO_PCI_INTX_IRQ_INDEX = 0;
    public static final int VFIO_PCI_MSI_IRQ_INDEX = 1;
    public static final int VFIO_PCI_MSIX_IRQ_INDEX = 2;
    public static final int VFIO_PCI_ERR_IRQ_INDEX = 3;
    public static final int VFIO_PCI_REQ_IRQ_INDEX = 4;
    public static final int VFIO_PCI_NUM_IRQS = 5;

    public static final int VFIO_IRQ_INFO_EVENTFD = 1 << 0;
    public static final int VFIO_IRQ_INFO_MASKABLE = 1 << 1;
    public static final int VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
    public static final int VFIO_IRQ_INFO_NORESIZE = 1 << 3;

    public static final int VFIO_IRQ_SET_DATA_NONE = 1 << 0;
    public static final int VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
    public static final int VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
    public static final int VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
    public static final int VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
    public static final int VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;
    public static final int VFIO_IRQ_SET_DATA_TYPE_MASK =
            VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD;
    public static final int VFIO_IRQ_SET_ACTION_TYPE_MASK =
            VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_ACTION_TRIGGER;

    public static final int VFIO_IOMMU_SPAPR_INFO_DDW = 1 << 0;

    public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
    public static final int VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;

    public static final int VFIO_EEH_PE_DISABLE = 0;
    public static final int VFIO_EEH_PE_ENABLE = 1;
    public static final int VFIO_EEH_PE_UNFREEZE_IO = 2;
    public static final int VFIO_EEH_PE_UNFREEZE_DMA = 3;
    public static final int VFIO_EEH_PE_GET_STATE = 4;
    public static final int VFIO_EEH_PE_RESET_DEACTIVATE = 5;
    public static final int VFIO_EEH_PE_RESET_HOT = 6;
    public static final int VFIO_EEH_PE_RESET_FUNDAMENTAL = 7;
    public static final int VFIO_EEH_PE_CONFIGURE = 8;
    public static final int VFIO_EEH_PE_INJECT_ERR = 9;

    public static final int VFIO_DEVICE_IOEVENTFD_SIZE_MASK = 0xf;

    public static final int VFIO_DEVICE_FEATURE_MASK = 0xffff;
    public static final int VFIO_DEVICE_FEATURE_GET = 1 << 16;
    public static final int VFIO_DEVICE_FEATURE_SET = 1 << 17;
    public static final int VFIO_DEVICE_FEATURE_PROBE = 1 << 18;
    public static final int VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY = 3;
    public static final int VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP = 4;
    public static final int VFIO_DEVICE_FEATURE_LOW_POWER_EXIT = 5;

    /** Region offsets within a vfio-pci device fd: {@code index << 40}. */
    public static final int VFIO_PCI_OFFSET_SHIFT = 40;

    public static long VFIO_PCI_INDEX_TO_OFFSET(int index) {
        return ((long) index) << VFIO_PCI_OFFSET_SHIFT;
    }

    // Not VFIO: poll(2)'s event bits (include/uapi/asm-generic/poll.h; powerpc uses the generic ones).
    public static final int POLLIN = 0x0001;
    public static final int POLLPRI = 0x0002;
    public static final int POLLOUT = 0x0004;
    public static final int POLLERR = 0x0008;
    public static final int POLLHUP = 0x0010;
    public static final int POLLNVAL = 0x0020;
    public static final int POLLRDNORM = 0x0040;
    public static final int POLLWRNORM = 0x0100;
}
