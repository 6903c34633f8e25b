package io.jvfio.driver.edu;

import io.jvfio.Bar;
import io.jvfio.Device;
import io.jvfio.EventFd;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.abi.VfioUapi;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * A userspace driver for QEMU's {@code edu} teaching device (PCI 1234:11e8): identification,
 * liveness and factorial registers, and a DMA engine with a 4 KiB buffer at bus offset 0x40000.
 *
 * <p>Its registers are {@code DEVICE_NATIVE_ENDIAN}: big-endian under qemu-system-ppc64, so a
 * little-endian CPU sees every value byte-swapped. The emulator reproduces exactly that.
 *
 * <p>Not thread-safe: the device has one DMA engine and one factorial unit, so one thread drives
 * it at a time (or callers synchronize on the instance). {@link #close()} may come from any thread.
 */
public final class EduDevice implements AutoCloseable {
    /** The PCI vendor ID QEMU gives the edu device. */
    public static final int VENDOR_ID = 0x1234;
    /** The PCI device ID of edu. */
    public static final int DEVICE_ID = 0x11e8;
    /** The identification register's value: major 1, minor 0. */
    public static final int ID = 0x010000ed;

    static final int REG_ID = 0x00;
    static final int REG_LIVENESS = 0x04;
    static final int REG_FACTORIAL = 0x08;
    static final int REG_STATUS = 0x20;
    static final int REG_IRQ_STATUS = 0x24;
    static final int REG_IRQ_ACK = 0x64;
    static final int REG_DMA_SRC = 0x80;
    static final int REG_DMA_DST = 0x88;
    static final int REG_DMA_COUNT = 0x90;
    static final int REG_DMA_CMD = 0x98;

    static final int STATUS_COMPUTING = 0x01;
    static final int DMA_CMD_START = 0x1;
    static final int DMA_CMD_FROM_DEVICE = 0x2;
    static final int DMA_CMD_IRQ = 0x4;
    static final int IRQ_DMA = 0x100;

    /** The device buffer's bus offset, as the DMA engine addresses it. */
    public static final long BUFFER = 0x40000;
    /**
     * The largest safe transfer: QEMU 7.2 aborts on a DMA of exactly 4096 bytes at 0x40000 (an
     * off-by-one in its range check), so one byte less.
     */
    public static final int MAX_TRANSFER = 4095;

    static final int PCI_COMMAND = 0x04;
    static final int PCI_COMMAND_MEMORY = 0x2;
    static final int PCI_COMMAND_MASTER = 0x4;

    private static final boolean SWAP = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final Device device;
    private final Bar bar;
    private final Duration timeout;
    private volatile EventFd irq;

    private EduDevice(Device device, Bar bar, Duration timeout) {
        this.device = device;
        this.bar = bar;
        this.timeout = timeout;
    }

    /**
     * Takes over an opened edu device: checks its IDs, enables memory decoding and bus mastering
     * (nothing DMAs without it), maps BAR0 and checks the identification register. Operations time
     * out after 10 seconds.
     *
     * @param device an open device of the edu kind
     * @return the driver
     * @throws VfioGuardException if the device is not an edu device
     * @throws VfioException if config space, the BAR or its mapping cannot be used
     * @throws IllegalStateException if the device is closed
     */
    public static EduDevice open(Device device) throws VfioException {
        return open(device, Duration.ofSeconds(10));
    }

    /**
     * As {@link #open(Device)}, with a deadline for each operation of the device.
     *
     * @param device an open device of the edu kind
     * @param timeout how long a factorial, DMA or interrupt may take before it counts as lost
     * @return the driver
     * @throws VfioGuardException if the device is not an edu device
     * @throws VfioException if config space, the BAR or its mapping cannot be used
     * @throws IllegalStateException if the device is closed
     */
    public static EduDevice open(Device device, Duration timeout) throws VfioException {
        int vendor = device.readConfig16(0x00);
        int dev = device.readConfig16(0x02);
        if (vendor != VENDOR_ID || dev != DEVICE_ID) {
            throw new VfioGuardException("edu open " + device.address(), 0, String.format(
                    "not an edu device: %04x:%04x (expected %04x:%04x)", vendor, dev, VENDOR_ID, DEVICE_ID));
        }
        int cmd = device.readConfig16(PCI_COMMAND);
        device.writeConfig16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        Bar bar = device.mapBar(VfioUapi.VFIO_PCI_BAR0_REGION_INDEX);
        EduDevice edu = new EduDevice(device, bar, timeout);
        int id = edu.id();
        if (id != ID) {
            bar.close();
            throw new VfioGuardException("edu open " + device.address(), 0,
                    String.format("identification register reads 0x%08x, expected 0x%08x", id, ID));
        }
        return edu;
    }

    /**
     * The PCI command register, after {@link #open} set memory and bus-master enable.
     *
     * @return the register's 16 bits
     * @throws VfioException if config space cannot be read
     * @throws IllegalStateException if the device is closed
     */
    public int pciCommand() throws VfioException {
        return device.readConfig16(PCI_COMMAND);
    }

    int reg32(int offset) {
        int v = bar.read32(offset);
        return SWAP ? Integer.reverseBytes(v) : v;
    }

    void reg32(int offset, int value) {
        bar.write32(offset, SWAP ? Integer.reverseBytes(value) : value);
    }

    void reg64(int offset, long value) {
        bar.write64(offset, SWAP ? Long.reverseBytes(value) : value);
    }

    /**
     * The identification register, byte order corrected.
     *
     * @return {@link #ID} on the edu device
     * @throws IllegalStateException if the device, or this driver, is closed
     */
    public int id() {
        return reg32(REG_ID);
    }

    /**
     * Writes the liveness register and reads it back: the device answers the bitwise NOT.
     *
     * @param value any value
     * @return {@code ~value} from a live device
     * @throws IllegalStateException if the device, or this driver, is closed
     */
    public int liveness(int value) {
        reg32(REG_LIVENESS, value);
        return reg32(REG_LIVENESS);
    }

    /**
     * Computes n! on the device (32-bit, wraps), polling the status register.
     *
     * @param n the argument
     * @return n! modulo 2^32
     * @throws VfioGuardException if the device did not finish within the timeout
     * @throws IllegalStateException if the device, or this driver, is closed
     */
    public int factorial(int n) throws VfioException {
        reg32(REG_FACTORIAL, n);
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((reg32(REG_STATUS) & STATUS_COMPUTING) != 0) {
            if (System.nanoTime() > deadline) {
                throw timedOut("factorial");
            }
            Thread.onSpinWait();
        }
        return reg32(REG_FACTORIAL);
    }

    /**
     * DMA of {@code length} bytes from bus address {@code iova} into the device buffer at {@code offset}.
     *
     * @param iova a mapped bus address the device may read
     * @param offset byte offset in the 4 KiB device buffer
     * @param length bytes, at most {@link #MAX_TRANSFER} and within the buffer
     * @throws VfioGuardException if the transfer does not fit the buffer, or did not complete in time
     * @throws VfioException if waiting for the interrupt failed
     * @throws IllegalStateException if the device, or this driver, is closed
     */
    public void dmaToDevice(long iova, int offset, int length) throws VfioException {
        dma(iova, BUFFER + offset, length, 0);
    }

    /**
     * DMA of {@code length} bytes from the device buffer at {@code offset} to bus address {@code iova}.
     *
     * @param offset byte offset in the 4 KiB device buffer
     * @param iova a mapped bus address the device may write
     * @param length bytes, at most {@link #MAX_TRANSFER} and within the buffer
     * @throws VfioGuardException if the transfer does not fit the buffer, or did not complete in time
     * @throws VfioException if waiting for the interrupt failed
     * @throws IllegalStateException if the device, or this driver, is closed
     */
    public void dmaFromDevice(int offset, long iova, int length) throws VfioException {
        dma(BUFFER + offset, iova, length, DMA_CMD_FROM_DEVICE);
    }

    private void dma(long src, long dst, int length, int direction) throws VfioException {
        long bufOffset = (direction == 0 ? dst : src) - BUFFER;
        if (length <= 0 || bufOffset < 0 || bufOffset + length > 4096 || (bufOffset == 0 && length == 4096)) {
            throw new VfioGuardException("edu DMA of " + length + " bytes at buffer offset " + bufOffset, 0,
                    "transfers must fit the 4 KiB device buffer; QEMU 7.2 aborts on exactly 4096 bytes at offset 0");
        }
        EventFd e = irq;
        reg64(REG_DMA_SRC, src);
        reg64(REG_DMA_DST, dst);
        reg64(REG_DMA_COUNT, length);
        reg64(REG_DMA_CMD, DMA_CMD_START | direction | (e != null ? DMA_CMD_IRQ : 0));
        if (e != null) {
            if (e.await(timeout) == 0) {
                throw timedOut("DMA interrupt");
            }
            reg32(REG_IRQ_ACK, reg32(REG_IRQ_STATUS));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while ((reg32(REG_DMA_CMD) & DMA_CMD_START) != 0) {
            if (System.nanoTime() > deadline) {
                throw timedOut("DMA");
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Completion by interrupt instead of polling: routes the device's MSI (or INTx when the platform
     * offers no MSI vector) to {@code eventfd}; later DMAs wait on it.
     *
     * @param eventfd where the device's interrupt is signalled
     * @throws VfioException if the kernel refused the interrupt setup
     * @throws IllegalStateException if the device or the eventfd is closed
     */
    public void useInterrupts(EventFd eventfd) throws VfioException {
        int index = device.irqInfo(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX).count() > 0
                ? VfioUapi.VFIO_PCI_MSI_IRQ_INDEX : VfioUapi.VFIO_PCI_INTX_IRQ_INDEX;
        device.setIrqEventfd(index, eventfd);
        irq = eventfd;
    }

    private VfioException timedOut(String what) {
        return new VfioGuardException("edu " + what + " on " + device.address(), 0,
                "no completion within " + timeout.toMillis() + " ms: is bus mastering on, and the IOVA mapped?");
    }

    /**
     * The device this driver runs.
     *
     * @return the device, still owned by the caller
     */
    public Device device() {
        return device;
    }

    /** Unmaps BAR0. The device itself stays open: it belongs to the caller. */
    @Override
    public void close() {
        bar.close();
    }
}
