package io.jvfio.emul.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_info_cap_header;
import io.jvfio.abi.vfio_irq_info;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.Errno;
import io.jvfio.emul.QemuAbortException;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * vfio-pci over a PCI function other than edu: a little-endian PCI Express function with a 16 KiB
 * BAR0 and four MSI-X vectors (the shape of QEMU's NVMe controller), through the device-fd ioctls
 * as vfio_pci_core.c and vfio_pci_intrs.c answer them.
 */
class GenericPciFunctionTest {
    static final int VECTORS = 4;
    static final long BAR0 = 16 << 10;

    /** A register file in BAR0 that fires an MSI-X vector when register 0x100 is written. */
    static final class MsixFunction implements PciFunction {
        final PciConfig config = PciConfig.builder(0x1b36, 0x0010).classCode(0x010802).command(PciConfig.CMD_MEMORY)
                .bar(0, BAR0).interruptPin(1).msix(VECTORS, 0, 0x2000, 0, 0x3000).pcie().build();
        final Map<Long, Long> regs = new HashMap<>();
        PciBus bus;

        @Override
        public PciConfig config() {
            return config;
        }

        @Override
        public ByteOrder barOrder() {
            return ByteOrder.LITTLE_ENDIAN;
        }

        @Override
        public long barRead(int bar, long offset, int size) {
            return regs.getOrDefault(offset, 0L) & (size == 8 ? -1L : (1L << (8 * size)) - 1);
        }

        @Override
        public void barWrite(int bar, long offset, long value, int size) {
            regs.put(offset, value);
            if (offset == 0x100 && bus.msixEnabled()) {
                bus.msixNotify((int) value);
            }
        }

        @Override
        public void attach(PciBus b) {
            bus = b;
        }
    }

    final Map<Integer, EmuFile> files = new HashMap<>();
    final MsixFunction fn = new MsixFunction();
    final DmaPort noDma = new DmaPort() {
        @Override
        public long read(long busAddr, MemorySegment dst) {
            return dst.byteSize();
        }

        @Override
        public long write(long busAddr, MemorySegment src) {
            return src.byteSize();
        }
    };
    final VfioPciDevice dev = new VfioPciDevice("0000:00:01.0", 1, 65536, fn, new DeviceHost() {
        @Override
        public EmuFile file(int fd) {
            return files.get(fd);
        }

        @Override
        public QemuAbortException qemuAbort(String message) {
            return new QemuAbortException(message);
        }
    }, noDma, io.jvfio.emul.Profile.KERNEL);
    Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        dev.open();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    EventFdFile eventfd(int fd) {
        EventFdFile e = new EventFdFile(0, 0);
        files.put(fd, e);
        return e;
    }

    long setIrqs(int flags, int index, int start, int count, int... eventfds) {
        long data = (flags & VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD) != 0 ? count * vfio_irq_set.EVENTFD_SIZE
                : (flags & VfioUapi.VFIO_IRQ_SET_DATA_BOOL) != 0 ? count : 0;
        MemorySegment s = vfio_irq_set.fill(arena.allocate(vfio_irq_set.SIZE + data, 4), flags, index, start, count, data);
        for (int i = 0; i < eventfds.length; i++) {
            if ((flags & VfioUapi.VFIO_IRQ_SET_DATA_BOOL) != 0) {
                s.set(ValueLayout.JAVA_BYTE, vfio_irq_set.SIZE + i, (byte) eventfds[i]);
            } else {
                s.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, vfio_irq_set.SIZE / Integer.BYTES + i, eventfds[i]);
            }
        }
        return dev.ioctl(VfioIoctl.VFIO_DEVICE_SET_IRQS, s);
    }

    void fire(int vector) {
        MemorySegment b = arena.allocate(4);
        b.set(ValueLayout.JAVA_INT_UNALIGNED, 0, vector); // little-endian host, little-endian device
        assertEquals(4, dev.rw(b, VfioUapi.VFIO_PCI_INDEX_TO_OFFSET(0) + 0x100, true));
    }

    @Test
    void irqInfoCountsComeFromTheCapabilities() {
        int[][] expect = {
            {VfioUapi.VFIO_PCI_INTX_IRQ_INDEX, 1},
            {VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, 0},
            {VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX, VECTORS},
            {VfioUapi.VFIO_PCI_ERR_IRQ_INDEX, 1}, // PCI Express
            {VfioUapi.VFIO_PCI_REQ_IRQ_INDEX, 1}};
        for (int[] e : expect) {
            MemorySegment s = vfio_irq_info.fill(arena.allocate(vfio_irq_info.LAYOUT), e[0]);
            assertEquals(0, dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_IRQ_INFO, s), "index " + e[0]);
            assertEquals(e[1], vfio_irq_info.count.get(s), "count of index " + e[0]);
        }
        MemorySegment s = vfio_irq_info.fill(arena.allocate(vfio_irq_info.LAYOUT), VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX);
        dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_IRQ_INFO, s);
        assertEquals(VfioUapi.VFIO_IRQ_INFO_EVENTFD | VfioUapi.VFIO_IRQ_INFO_NORESIZE, vfio_irq_info.flags.get(s));
    }

    @Test
    void regionInfoAndLittleEndianBarAccess() {
        MemorySegment s = vfio_region_info.fill(arena.allocate(vfio_region_info.LAYOUT), 0);
        assertEquals(0, dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_REGION_INFO, s));
        assertEquals(BAR0, vfio_region_info.size.get(s));
        MemorySegment cfg = vfio_region_info.fill(arena.allocate(vfio_region_info.LAYOUT),
                VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX);
        dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_REGION_INFO, cfg);
        assertEquals(PciConfig.PCIE_SIZE, vfio_region_info.size.get(cfg));
        fn.regs.put(0x8L, 0x0102030405060708L);
        MemorySegment b = arena.allocate(8);
        assertEquals(8, dev.rw(b, 0x8, false));
        assertEquals(0x08, b.get(ValueLayout.JAVA_BYTE, 0), "little-endian device: low byte first on the bus");
        assertEquals(0x0102030405060708L, dev.mmioRead(0, 0x8, 8), "no swap for a little-endian device");
        assertEquals(0, dev.mmapCheck(0, BAR0));
        assertEquals(-Errno.EINVAL, dev.mmapCheck(0, BAR0 + 65536));
        assertEquals(-Errno.EINVAL, dev.mmapCheck(VfioUapi.VFIO_PCI_INDEX_TO_OFFSET(1), 4096), "no BAR1");
    }

    @Test
    void theMsixBarCarriesTheMappableCapability() {
        MemorySegment small = vfio_region_info.fill(arena.allocate(vfio_region_info.LAYOUT), 0);
        assertEquals(0, dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_REGION_INFO, small));
        int flags = vfio_region_info.flags.get(small);
        assertEquals(VfioUapi.VFIO_REGION_INFO_FLAG_CAPS, flags & VfioUapi.VFIO_REGION_INFO_FLAG_CAPS);
        long need = vfio_region_info.SIZE + vfio_info_cap_header.SIZE;
        assertEquals(need, vfio_region_info.argsz.get(small), "argsz grows to what the chain needs");
        assertEquals(0, vfio_region_info.cap_offset.get(small));
        MemorySegment big = arena.allocate(need, 8);
        vfio_region_info.fill(big, 0);
        vfio_region_info.argsz.set(big, (int) need);
        assertEquals(0, dev.ioctl(VfioIoctl.VFIO_DEVICE_GET_REGION_INFO, big));
        assertEquals(vfio_region_info.SIZE, vfio_region_info.cap_offset.get(big));
        MemorySegment cap = big.asSlice(vfio_region_info.SIZE);
        assertEquals(VfioUapi.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, vfio_info_cap_header.id.get(cap));
        assertEquals(1, vfio_info_cap_header.version.get(cap));
        assertEquals(0, vfio_info_cap_header.next.get(cap));
    }

    @Test
    void theMsixTableReadsAllOnesAndIgnoresWrites() {
        fn.regs.put(0x2000L, 0x1234L);
        MemorySegment b = arena.allocate(16);
        assertEquals(16, dev.rw(b, 0x1ff8, false), "8 bytes before the table, 8 of it");
        assertEquals(0L, b.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertEquals(-1L, b.get(ValueLayout.JAVA_LONG_UNALIGNED, 8), "the table: 0xff");
        assertEquals(16, dev.rw(arena.allocate(16), 0x2000, true));
        assertEquals(0x1234L, fn.regs.get(0x2000L), "the write never reached the function");
    }

    @Test
    void msixVectorsTriggerTheirOwnEventfds() {
        EventFdFile v0 = eventfd(10);
        EventFdFile v1 = eventfd(11);
        int trigger = VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER;
        int msix = VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX;
        assertEquals(0, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD, msix, 0, 2, 10, 11));
        assertEquals(msix, dev.irqType());
        dev.config().write(PciConfig.COMMAND, (byte) (PciConfig.CMD_MEMORY | PciConfig.CMD_MASTER));
        fire(1);
        assertEquals(0, v0.peek());
        assertEquals(1, v1.peek());
        fire(0);
        assertEquals(1, v0.peek());
        assertEquals(0, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_NONE, msix, 1, 1), "DATA_NONE fires vector 1");
        assertEquals(2, v1.peek());
        assertEquals(0, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_BOOL, msix, 0, 2, 1, 0), "DATA_BOOL {1, 0}");
        assertEquals(2, v0.peek());
        assertEquals(2, v1.peek());
        eventfd(12);
        assertEquals(-Errno.EINVAL, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD, msix, 3, 1, 12),
                "vector 3 was not allocated at enable and pSeries has no dynamic MSI-X");
        assertEquals(-Errno.EINVAL, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD,
                VfioUapi.VFIO_PCI_INTX_IRQ_INDEX, 0, 1, 12), "INTx while MSI-X is on");
        assertEquals(-Errno.EINVAL, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD, msix, 0, VECTORS + 1),
                "more vectors than the table has");
        assertEquals(0, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD, msix, 1, 1, -1), "fd -1 frees vector 1");
        fire(1);
        assertEquals(2, v1.peek());
        dev.config().write(PciConfig.COMMAND, (byte) PciConfig.CMD_MEMORY);
        fire(0);
        assertEquals(2, v0.peek(), "no bus mastering: the MSI-X message (a DMA write) goes nowhere");
        assertEquals(0, setIrqs(trigger | VfioUapi.VFIO_IRQ_SET_DATA_NONE, msix, 0, 0), "count 0: disable");
        assertEquals(VfioPciDevice.IRQ_NONE, dev.irqType());
    }

    @Test
    void aBadEventfdWhileEnablingLeavesMsixOff() {
        eventfd(10);
        assertEquals(-Errno.EBADF, setIrqs(VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER | VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD,
                VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, 10, 99));
        assertEquals(VfioPciDevice.IRQ_NONE, dev.irqType());
    }
}
