package io.jvfio.emul;

import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The emulated edu device: registers as a little-endian CPU sees them (byte-swapped), and what only
 * the model shows of its DMA: the DMA mask, bus mastering, TCE permissions, QEMU's abort, interrupts.
 * The DMA round trips through each kind of window run over the backend table, kernel included
 * ({@code io.jvfio.guest.dma.EduDmaRoundTripTest}).
 */
class EduDmaTest {
    static final long DDW = 0x800000000000000L;

    static int sw(int v) {
        return Integer.reverseBytes(v);
    }

    static long sw(long v) {
        return Long.reverseBytes(v);
    }

    /** Open the device, enable MEM|MASTER, map BAR0. */
    static Mmio device(Emu e, int g) throws ErrnoException {
        int dev = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
        assertEquals(0x0002, e.configRead16(dev, 4)); // VOF leaves MEMORY set, SERR clear
        e.configWrite16(dev, 4, 0x0106);
        return e.be.mmapRegion(dev, 0, 0x100000);
    }

    static void dma(Mmio bar, long src, long dst, long cnt, boolean toRam) {
        bar.write64(0x80, sw(src));
        bar.write64(0x88, sw(dst));
        bar.write64(0x90, sw(cnt));
        bar.write64(0x98, sw(1L | (toRam ? 2 : 0)));
        assertEquals(0, sw(bar.read64(0x98)) & 1, "synchronous completion clears the start bit");
    }

    @Test
    void registersAreByteSwapped() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            assertEquals(0xed000001, bar.read32(0x00), "the ppc64le guest reads the ID raw as 0xed000001");
            assertEquals(0x010000ed, sw(bar.read32(0x00)));
            bar.write32(0x04, sw(0x12345678));
            assertEquals(0xedcba987, sw(bar.read32(0x04)));
            bar.write32(0x08, sw(10));
            assertEquals(0, sw(bar.read32(0x20)) & 1, "not computing");
            assertEquals(3628800, sw(bar.read32(0x08)));
            assertEquals(-1, bar.read32(0x40000), "the DMA buffer is not MMIO");
            assertEquals(-1, bar.read64(0x00), "8-byte accesses below 0x80 read all ones");
            assertThrows(IllegalArgumentException.class, () -> bar.read32(2));
            assertThrows(IndexOutOfBoundsException.class, () -> bar.read32(0x100000));
            // pread of BAR0 sees the same bytes
            int dev = 5;
            MemorySegment b = e.arena.allocate(4);
            assertEquals(4, e.be.pread(dev, b, 0));
            assertEquals(0xed000001, b.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            MemorySegment b8 = e.arena.allocate(8);
            assertEquals(8, e.be.pread(dev, b8, 0));
            assertEquals(-1L, b8.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "one 8-byte access below 0x80: all ones");
            bar.write64(0x80, sw(0x0123456789abcdefL));
            assertEquals(8, e.be.pread(dev, b8, 0x80));
            assertEquals(sw(0x0123456789abcdefL), b8.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            bar.close();
            assertThrows(IllegalStateException.class, () -> bar.read32(0));
        }
    }

    @Test
    void dmaMaskTruncatesBusAddresses() throws Exception {
        Profile p = Profile.builder().clearGroups().group(0, DeviceSpec.edu("0000:00:00.0", DeviceSpec.EDU_DEFAULT_DMA_MASK)).build();
        try (Emu e = new Emu(p)) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            MemorySegment buf = e.alloc(4 * M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.create(12, 0x100000000L, 1));
            assertEquals(0, e.map(DDW, 0x10000, buf));
            buf.fill((byte) 9);
            dma(bar, DDW, 0x40000, 16, false); // 1<<59 masked to 0: the default window is gone -> fails
            assertEquals(1, e.state().device("0000:00:00.0").failedDmaTransfers());
            assertEquals(0, e.be.deviceBuffer("0000:00:00.0")[0], "a failed read fills the device buffer with zeros");
        }
    }

    @Test
    void busMasterOffFailsDma() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            int dev = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            Mmio bar = e.be.mmapRegion(dev, 0, 0x1000);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.map(0, 0x10000, buf));
            buf.fill((byte) 1);
            dma(bar, 0x40000, 0, 64, true);
            assertEquals((byte) 1, buf.get(ValueLayout.JAVA_BYTE, 0), "PCI_COMMAND.MASTER is clear (0x0002)");
            assertEquals(1, e.state().device("0000:00:00.0").failedDmaTransfers());
        }
    }

    @Test
    void tceReadOnlyPermissionBlocksDeviceWrites() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.map(0, 0x1000, buf.address(), Emu.READ));
            buf.fill((byte) 7);
            dma(bar, 0, 0x40000, 16, false); // device reads: allowed
            assertEquals(7, e.be.deviceBuffer("0000:00:00.0")[0]);
            dma(bar, 0x40000 + 100, 0, 16, true); // device writes: the TCE has no write permission
            assertEquals((byte) 7, buf.get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1, e.state().device("0000:00:00.0").failedDmaTransfers());
        }
    }

    @Test
    void fullBufferDmaAbortsQemu() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.map(0, 0x10000, buf));
            dma(bar, 0, 0x40000, 4095, false);
            bar.write64(0x80, sw(0L));
            bar.write64(0x88, sw(0x40000L));
            bar.write64(0x90, sw(4096L));
            QemuAbortException x = assertThrows(QemuAbortException.class, () -> bar.write64(0x98, sw(1L)));
            assertTrue(x.getMessage().contains("off by one"), x.getMessage());
            assertThrows(QemuAbortException.class, () -> e.be.getApiVersion(e.container));
            assertTrue(e.be.inspect().qemuAborted());
        }
    }

    @Test
    void msiInterruptOnDmaCompletion() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            int dev = 5;
            int efd = e.be.eventfd(0, 0);
            assertEquals(0, e.setIrqEventfd(dev, VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, efd));
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.map(0, 0x10000, buf));
            bar.write64(0x80, sw(0L));
            bar.write64(0x88, sw(0x40000L));
            bar.write64(0x90, sw(64L));
            bar.write64(0x98, sw(1L | 4));
            assertEquals(0x100, sw(bar.read32(0x24)), "DMA interrupt status");
            MemorySegment v = e.arena.allocate(8);
            assertEquals(8, e.be.read(efd, v));
            assertEquals(1, v.get(ValueLayout.JAVA_LONG, 0));
            bar.write32(0x64, sw(0x100));
            assertEquals(0, sw(bar.read32(0x24)));
        }
    }

    @Test
    void intxInterruptIsAutomaskedUntilUnmask() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = device(e, g);
            int dev = 5;
            int efd = e.be.eventfd(0, 04000); // EFD_NONBLOCK
            assertEquals(0, e.setIrqEventfd(dev, VfioUapi.VFIO_PCI_INTX_IRQ_INDEX, efd));
            bar.write32(0x60, sw(0x1)); // raise
            MemorySegment v = e.arena.allocate(8);
            assertEquals(8, e.be.read(efd, v));
            bar.write32(0x60, sw(0x2)); // still asserted and masked: nothing new
            assertEquals(-io.jvfio.backend.Errno.EAGAIN, e.be.read(efd, v));
            bar.write32(0x64, sw(0x3)); // ack: line low
            MemorySegment unmask = e.arena.allocate(20);
            unmask.set(ValueLayout.JAVA_INT, 0, 20);
            unmask.set(ValueLayout.JAVA_INT, 4, VfioUapi.VFIO_IRQ_SET_DATA_NONE | VfioUapi.VFIO_IRQ_SET_ACTION_UNMASK);
            unmask.set(ValueLayout.JAVA_INT, 8, 0);
            unmask.set(ValueLayout.JAVA_INT, 12, 0);
            unmask.set(ValueLayout.JAVA_INT, 16, 1);
            assertEquals(0, e.be.deviceSetIrqs(dev, unmask));
            bar.write32(0x60, sw(0x1));
            assertEquals(8, e.be.read(efd, v));
        }
    }
}
