package io.jvfio.emul.device;

import java.nio.ByteOrder;

/**
 * A PCI function model that vfio-pci ({@link VfioPciDevice}) can bind: QEMU's {@code PCIDevice}
 * (hw/pci/pci.c) with its BAR {@code MemoryRegionOps}, as seen from the guest kernel. Implementing a new device
 * means implementing this interface and nothing of VFIO:
 *
 * <ul>
 *   <li>{@link #config()}: identity, BAR sizes, interrupt pin, MSI / MSI-X / PCI Express
 *       capabilities, built with {@link PciConfig#builder}. vfio-pci derives everything it reports
 *       from it: region sizes and flags (every BAR is a 32-bit memory BAR, read/write/mmap), and the
 *       interrupt counts of VFIO_DEVICE_GET_IRQ_INFO (INTx when a pin is set, MSI vectors, MSI-X
 *       table size, ERR for PCI Express, REQ always).</li>
 *   <li>{@link #barRead}/{@link #barWrite}: one bus access to a BAR register, as QEMU's
 *       {@code read}/{@code write} callbacks see it (the value in the device's own order, see
 *       {@link #barOrder}); an access the device rejects reads 0 and writes nothing.</li>
 *   <li>{@link #attach}: the {@link PciBus} the function reaches: DMA through the guest's IOMMU,
 *       INTx, MSI and MSI-X vectors, and QEMU's abort. vfio-pci gates DMA and MSI on the command
 *       register and delivers interrupts to the eventfds userspace set with VFIO_DEVICE_SET_IRQS.</li>
 * </ul>
 *
 * <p>All calls come with the platform lock held, in the thread of the access: a device completes
 * its work synchronously (a DMA transfer or a command runs to its end inside the register write
 * that starts it). See {@link EduModel} for an implementation.
 */
public interface PciFunction {
    /** The function's configuration space (one object for the function's life; vfio-pci reads and writes it). */
    PciConfig config();

    /**
     * The byte order of BAR registers on the bus: {@link ByteOrder#LITTLE_ENDIAN} for PCI devices
     * (NVMe), {@link ByteOrder#BIG_ENDIAN} for QEMU's DEVICE_NATIVE_ENDIAN devices on ppc64 (edu).
     * vfio-pci converts between this and the CPU's view for pread/pwrite and mmap.
     */
    ByteOrder barOrder();

    /**
     * A bus read of {@code size} bytes (1, 2, 4 or 8) at {@code offset} of BAR {@code bar}: the
     * register value, in the low {@code size} bytes. {@code offset + size} is within the BAR.
     */
    long barRead(int bar, long offset, int size);

    /** A bus write of the low {@code size} bytes of {@code value} at {@code offset} of BAR {@code bar}. */
    void barWrite(int bar, long offset, long value, int size);

    /** Connects the function to its bus; called once, before any other access. */
    void attach(PciBus bus);

    /**
     * Whether the function has a reset the kernel can use ({@code pci_probe_reset_function}: FLR
     * through the PCI Express capability for QEMU's nvme); vfio-pci then sets
     * VFIO_DEVICE_FLAGS_RESET and VFIO_DEVICE_RESET works. edu has none.
     */
    default boolean resettable() {
        return false;
    }

    /**
     * The function-level reset of VFIO_DEVICE_RESET ({@code pci_try_reset_function}): the device's
     * internal state goes back to power-on; the kernel saves and restores the config space around it.
     */
    default void functionReset() {
        throw new UnsupportedOperationException("no function reset");
    }
}
