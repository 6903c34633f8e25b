package io.jvfio.emul.device.nvme;

import io.jvfio.emul.device.DmaPort;
import io.jvfio.emul.device.PciBus;
import io.jvfio.emul.device.PciConfig;
import io.jvfio.emul.device.PciFunction;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * QEMU's {@code nvme} as a {@link PciFunction} that vfio-pci can bind: {@link NvmePciIdentity} as
 * the config space, BAR0's registers and doorbells to an {@link NvmeCtrl}, its DMA and MSI-X to the
 * {@link PciBus}. The controller exists from {@link #attach} on.
 *
 * <p>Through {@link PciConfig} BAR0 is a 32-bit memory BAR and the capabilities sit where that
 * builder puts them (QEMU: a 64-bit BAR, capabilities at 0x40/0x60/0x80): the PCI layer's choice.
 */
public final class NvmeFunction implements PciFunction {
    private final PciConfig config;
    private final NvmeNamespace ns;
    private final String serial;
    private NvmeCtrl ctrl;

    /**
     * @param initialCommand the PCI command register the firmware left
     * @param ns namespace 1 (not closed by the function)
     * @param serial the controller's serial number (Identify SN, at most 20 characters)
     */
    public NvmeFunction(int initialCommand, NvmeNamespace ns, String serial) {
        this.config = PciConfig.builder(NvmePciIdentity.VENDOR_ID, NvmePciIdentity.DEVICE_ID)
                .revision(NvmePciIdentity.REVISION).classCode(NvmePciIdentity.CLASS_CODE)
                .subsystem(NvmePciIdentity.SUBSYSTEM_VENDOR_ID, NvmePciIdentity.SUBSYSTEM_ID)
                .command(initialCommand).bar(0, NvmePciIdentity.BAR0_SIZE).interruptPin(NvmePciIdentity.INTERRUPT_PIN)
                .msix(NvmePciIdentity.MSIX_VECTORS, NvmePciIdentity.MSIX_TABLE_BIR, NvmePciIdentity.MSIX_TABLE_OFFSET,
                        NvmePciIdentity.MSIX_PBA_BIR, NvmePciIdentity.MSIX_PBA_OFFSET)
                .pcie().build();
        this.ns = ns;
        this.serial = serial;
    }

    @Override
    public PciConfig config() {
        return config;
    }

    /** NVMe registers are little-endian (DEVICE_LITTLE_ENDIAN). */
    @Override
    public ByteOrder barOrder() {
        return ByteOrder.LITTLE_ENDIAN;
    }

    @Override
    public void attach(PciBus bus) {
        DmaPort dma = new DmaPort() {
            @Override
            public long read(long busAddr, MemorySegment dst) {
                return bus.dmaRead(busAddr, dst);
            }

            @Override
            public long write(long busAddr, MemorySegment src) {
                return bus.dmaWrite(busAddr, src);
            }
        };
        NvmeInterrupts irq = new NvmeInterrupts() {
            @Override
            public boolean msixEnabled() {
                return bus.msixEnabled();
            }

            @Override
            public void msixNotify(int vector) {
                bus.msixNotify(vector);
            }
        };
        ctrl = new NvmeCtrl(dma, irq, ns, serial);
    }

    /** QEMU's nvme has FLR (pcie_cap_flr_init): vfio-pci reports VFIO_DEVICE_FLAGS_RESET. */
    @Override
    public boolean resettable() {
        return true;
    }

    /** FLR: QEMU's nvme_pci_reset, a controller reset (queues deleted, CC and CSTS cleared). */
    @Override
    public void functionReset() {
        ctrl.reset();
    }

    /** The controller behind BAR0 (after {@link #attach}). */
    public NvmeCtrl controller() {
        return ctrl;
    }

    /** A bus read of BAR0's registers; unaligned accesses (QEMU: invalid) and the rest of the BAR read 0. */
    @Override
    public long barRead(int bar, long offset, int size) {
        if (!mine(bar, offset, size)) {
            return 0;
        }
        return ctrl.mmioRead(offset, size);
    }

    /** A bus write of BAR0's registers or doorbells; other accesses are dropped. */
    @Override
    public void barWrite(int bar, long offset, long value, int size) {
        if (mine(bar, offset, size)) {
            ctrl.mmioWrite(offset, value, size);
        }
    }

    private static boolean mine(int bar, long offset, int size) {
        return bar == 0 && (offset & (size - 1)) == 0 && offset + size <= NvmeCtrl.MMIO_SIZE;
    }
}
