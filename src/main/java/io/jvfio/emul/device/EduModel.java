package io.jvfio.emul.device;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * QEMU 7.2's {@code edu} device (hw/misc/edu.c) behind BAR0: registers, the factorial unit and the
 * DMA engine with its 4096-byte buffer at bus offset 0x40000, and its PCI identity: 1234:11e8 rev
 * 0x10, class 0x00ff00, BAR0 of 1 MiB, INTx pin A and one MSI vector (no MSI-X, not PCI Express).
 * Values are the device's; BAR0 is big-endian on the bus (DEVICE_NATIVE_ENDIAN on qemu-system-ppc64),
 * and vfio-pci presents it to the little-endian CPU ({@link VfioPciDevice}).
 *
 * <p>Timing is collapsed: a factorial and a DMA transfer complete synchronously at the register
 * write that starts them (QEMU runs them in a thread and from a 100 ms timer), so status bit 0 and
 * command bit 0 read back clear at once.
 */
public final class EduModel implements PciFunction {
    public static final long DMA_START = 0x40000;
    static final long BAR0_SIZE = 1 << 20;
    public static final int DMA_SIZE = 4096;
    static final int FACT_IRQ = 0x00000001;
    static final int DMA_IRQ = 0x00000100;
    static final int STATUS_COMPUTING = 0x01;
    static final int STATUS_IRQFACT = 0x80;
    static final long DMA_RUN = 0x1;
    static final long DMA_IRQ_BIT = 0x4;

    private final PciConfig config;
    private PciBus pins;
    private final long dmaMask;
    private int addr4;
    private int fact;
    private int status;
    private int irqStatus;
    private long dmaSrc;
    private long dmaDst;
    private long dmaCnt;
    private long dmaCmd;
    private final byte[] buf = new byte[DMA_SIZE];
    private final MemorySegment dmaBuf = MemorySegment.ofArray(buf);
    long transfers;
    long failedTransfers;
    long failedBytes;

    /**
     * @param initialCommand the PCI command register the firmware left ({@code Profile.Firmware#initialPciCommand})
     * @param dmaMask edu's {@code dma_mask} property: every DMA bus address is ANDed with it
     */
    public EduModel(int initialCommand, long dmaMask) {
        this.config = PciConfig.builder(0x1234, 0x11e8).revision(0x10).classCode(0x00ff00) // PCI_CLASS_OTHERS
                .subsystem(0x1af4, 0x1100) // QEMU's defaults
                .command(initialCommand).bar(0, BAR0_SIZE).interruptPin(1).msi(1).build();
        this.dmaMask = dmaMask;
    }

    @Override
    public PciConfig config() {
        return config;
    }

    @Override
    public ByteOrder barOrder() {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public void attach(PciBus bus) {
        this.pins = bus;
    }

    /** A bus read of BAR0: accesses edu's MemoryRegionOps reject (not 4 or 8 bytes, unaligned) read 0. */
    @Override
    public long barRead(int bar, long offset, int size) {
        if (size != 4 && size != 8 || (offset & (size - 1)) != 0) {
            return 0; // .valid.min_access_size = 4 / unaligned: unassigned_mem_read
        }
        long v = mmioRead(offset, size);
        return size == 8 ? v : v & 0xffffffffL;
    }

    /** A bus write of BAR0; rejected accesses are dropped. */
    @Override
    public void barWrite(int bar, long offset, long value, int size) {
        if (size != 4 && size != 8 || (offset & (size - 1)) != 0) {
            return;
        }
        mmioWrite(offset, value, size);
    }

    public long transfers() {
        return transfers;
    }

    public long failedTransfers() {
        return failedTransfers;
    }

    public long failedBytes() {
        return failedBytes;
    }

    public int irqStatus() {
        return irqStatus;
    }

    /** A copy of the device's DMA buffer (for tests). */
    public byte[] buffer() {
        return buf.clone();
    }

    /** {@code edu_mmio_read}: only 4-byte accesses below 0x80, 4 or 8 at and above. */
    private long mmioRead(long addr, int size) {
        long val = -1L;
        if (addr < 0x80 && size != 4) {
            return val;
        }
        if (addr >= 0x80 && size != 4 && size != 8) {
            return val;
        }
        switch ((int) addr) {
            case 0x00 -> val = 0x010000edL;
            case 0x04 -> val = Integer.toUnsignedLong(addr4);
            case 0x08 -> val = Integer.toUnsignedLong(fact);
            case 0x20 -> val = Integer.toUnsignedLong(status);
            case 0x24 -> val = Integer.toUnsignedLong(irqStatus);
            case 0x80 -> val = dmaSrc;
            case 0x88 -> val = dmaDst;
            case 0x90 -> val = dmaCnt;
            case 0x98 -> val = dmaCmd;
            default -> { }
        }
        return val;
    }

    /** {@code edu_mmio_write}. */
    private void mmioWrite(long addr, long val, int size) {
        if (addr < 0x80 && size != 4) {
            return;
        }
        if (addr >= 0x80 && size != 4 && size != 8) {
            return;
        }
        switch ((int) addr) {
            case 0x04 -> addr4 = ~(int) val;
            case 0x08 -> {
                if ((status & STATUS_COMPUTING) != 0) {
                    break;
                }
                fact = (int) val;
                status |= STATUS_COMPUTING;
                factorialThread();
            }
            case 0x20 -> {
                if ((val & STATUS_IRQFACT) != 0) {
                    status |= STATUS_IRQFACT;
                } else {
                    status &= ~STATUS_IRQFACT;
                }
            }
            case 0x60 -> raiseIrq((int) val);
            case 0x64 -> lowerIrq((int) val);
            case 0x80 -> {
                if ((dmaCmd & DMA_RUN) == 0) {
                    dmaSrc = val;
                }
            }
            case 0x88 -> {
                if ((dmaCmd & DMA_RUN) == 0) {
                    dmaDst = val;
                }
            }
            case 0x90 -> {
                if ((dmaCmd & DMA_RUN) == 0) {
                    dmaCnt = val;
                }
            }
            case 0x98 -> {
                if ((val & DMA_RUN) == 0) {
                    break;
                }
                if ((dmaCmd & DMA_RUN) != 0) {
                    break;
                }
                dmaCmd = val;
                dmaTimer();
            }
            default -> { }
        }
    }

    /** {@code edu_fact_thread}, run to completion: u32 arithmetic (0 from 34! on). */
    private void factorialThread() {
        long v = Integer.toUnsignedLong(fact);
        int ret = 1;
        if (v >= 34) {
            ret = 0; // 34! has 32 factors of two: the u32 product is 0, and stays 0
        } else {
            while (v > 0) {
                ret *= (int) v--;
            }
        }
        fact = ret;
        status &= ~STATUS_COMPUTING;
        if ((status & STATUS_IRQFACT) != 0) {
            raiseIrq(FACT_IRQ);
        }
    }

    private void raiseIrq(int val) {
        irqStatus |= val;
        if (irqStatus != 0) {
            if (pins.msiEnabled()) {
                pins.msiNotify(0);
            } else {
                pins.setIntx(true);
            }
        }
    }

    private void lowerIrq(int val) {
        irqStatus &= ~val;
        if (irqStatus == 0 && !pins.msiEnabled()) {
            pins.setIntx(false);
        }
    }

    /**
     * QEMU 7.2's {@code edu_check_range}: hw_error() unless [addr, addr+size) lies in the buffer with
     * its end strictly inside (the off-by-one: exactly 4096 bytes at 0x40000 aborts; so does 0).
     */
    private void checkRange(long addr, long size) {
        long end1 = addr + size;
        long end2 = DMA_START + DMA_SIZE;
        if (within(addr, DMA_START, end2) && Long.compareUnsigned(end1, addr) > 0 && within(end1, DMA_START, end2)) {
            return;
        }
        throw pins.abort(String.format("EDU: DMA range 0x%016x-0x%016x out of bounds (0x%016x-0x%016x)!"
                + " QEMU 7.2 aborts (hw_error) here: its range check is off by one, so a transfer must end"
                + " before 0x41000 (at most 4095 bytes from 0x40000); see guest-recipe.md", addr, end1 - 1,
                DMA_START, end2 - 1));
    }

    private static boolean within(long addr, long start, long end) {
        return Long.compareUnsigned(start, addr) <= 0 && Long.compareUnsigned(addr, end) < 0;
    }

    /** {@code edu_dma_timer}, fired at once. */
    private void dmaTimer() {
        if ((dmaCmd & DMA_RUN) == 0) {
            return;
        }
        long failed;
        if (((dmaCmd & 0x2) >>> 1) == 0) { // EDU_DMA_FROM_PCI: RAM -> device buffer
            checkRange(dmaDst, dmaCnt);
            int off = (int) (dmaDst - DMA_START);
            failed = pins.dmaRead(dmaSrc & dmaMask, dmaBuf.asSlice(off, dmaCnt));
        } else { // EDU_DMA_TO_PCI: device buffer -> RAM
            checkRange(dmaSrc, dmaCnt);
            int off = (int) (dmaSrc - DMA_START);
            failed = pins.dmaWrite(dmaDst & dmaMask, dmaBuf.asSlice(off, dmaCnt));
        }
        transfers++;
        if (failed != 0) {
            failedTransfers++;
            failedBytes += failed;
        }
        dmaCmd &= ~DMA_RUN;
        if ((dmaCmd & DMA_IRQ_BIT) != 0) {
            raiseIrq(DMA_IRQ);
        }
    }
}
