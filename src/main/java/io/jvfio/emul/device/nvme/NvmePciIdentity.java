package io.jvfio.emul.device.nvme;

/**
 * The PCI face of QEMU 7.2's {@code nvme} device (nvme_init_pci, nvme_class_init, nvme_mbar_size
 * with the defaults max_ioqpairs=64, msix_qsize=65, no CMB/PMR/SR-IOV), as data for the layer that
 * presents the function's config space and BAR0.
 *
 * <p>BAR0 is 16 KiB: registers at 0, doorbells from 0x1000 ({@link NvmeCtrl#MMIO_SIZE} bytes in
 * all, the controller's), then the MSI-X table at 0x2000 (65 entries of 16 bytes) and the PBA at
 * 0x3000, both in BAR0. Capabilities are laid out as QEMU adds them (each new one at the head of the
 * list): power management at 0x60, PCI Express endpoint at 0x80 (with FLR), MSI-X at 0x40, so the
 * list reads 0x40 → 0x80 → 0x60. The capability offsets follow QEMU's allocation rules and were not
 * yet compared with an lspci of the guest.
 */
public final class NvmePciIdentity {
    private NvmePciIdentity() { }

    /** PCI_VENDOR_ID_REDHAT. */
    public static final int VENDOR_ID = 0x1b36;
    /** PCI_DEVICE_ID_REDHAT_NVME. */
    public static final int DEVICE_ID = 0x0010;
    /** pc->revision. */
    public static final int REVISION = 0x02;
    /** PCI_CLASS_STORAGE_EXPRESS (0x0108) with programming interface 0x02 (NVM Express). */
    public static final int CLASS_CODE = 0x010802;
    /** QEMU's default subsystem IDs (pci_default_sub_vendor_id, pci_default_sub_device_id). */
    public static final int SUBSYSTEM_VENDOR_ID = 0x1af4;
    public static final int SUBSYSTEM_ID = 0x1100;
    /** Interrupt pin A (INTx is not modelled by the controller). */
    public static final int INTERRUPT_PIN = 1;

    /** BAR0: 16 KiB, 64-bit memory, not prefetchable; BAR1 is its upper half; BAR2-5 unused. */
    public static final long BAR0_SIZE = 16 * 1024;
    /** PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64. */
    public static final int BAR0_FLAGS = 0x4;

    /** MSI-X: 65 vectors (Table Size field 64), table and PBA in BAR0. */
    public static final int MSIX_VECTORS = 65;
    public static final int MSIX_TABLE_BIR = 0;
    public static final int MSIX_TABLE_OFFSET = 0x2000;
    public static final int MSIX_PBA_BIR = 0;
    public static final int MSIX_PBA_OFFSET = 0x3000;

    /** Capability offsets in config space. */
    public static final int CAP_MSIX = 0x40;
    public static final int CAP_PM = 0x60;
    public static final int CAP_EXP = 0x80;
}
