package io.jvfio.emul.device;

import io.jvfio.emul.QemuAbortException;
import java.lang.foreign.MemorySegment;

/**
 * What a {@link PciFunction} reaches on its bus (QEMU's {@code pci_dma_*} and {@code pci_set_irq}
 * of hw/pci/pci.c, {@code msi_notify} of hw/pci/msi.c, {@code msix_notify} of hw/pci/msix.c,
 * {@code hw_error}). vfio-pci implements it: DMA goes
 * through the PHB's IOMMU ({@link DmaPort}) while the command register enables bus mastering;
 * interrupts reach the eventfds userspace set with VFIO_DEVICE_SET_IRQS.
 */
public interface PciBus {
    /** DMA read of {@code dst.byteSize()} bytes at {@code busAddr}; the number of bytes that failed (they read 0). */
    long dmaRead(long busAddr, MemorySegment dst);

    /** DMA write of {@code src} at {@code busAddr}; the number of bytes that failed (dropped). */
    long dmaWrite(long busAddr, MemorySegment src);

    /** The INTx line's level ({@code pci_set_irq}). */
    void setIntx(boolean level);

    /** {@code msi_enabled}: MSI is the active interrupt mode. */
    boolean msiEnabled();

    /** {@code msi_notify}: MSI vector {@code vector} fires (a DMA write: needs bus mastering). */
    void msiNotify(int vector);

    /** {@code msix_enabled}: MSI-X is the active interrupt mode. */
    boolean msixEnabled();

    /** {@code msix_notify}: MSI-X vector {@code vector} fires (a DMA write: needs bus mastering). */
    void msixNotify(int vector);

    /** QEMU's {@code hw_error()}: records that the whole machine aborted; the caller throws the result. */
    QemuAbortException abort(String message);
}
