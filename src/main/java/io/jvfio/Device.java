package io.jvfio;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_irq_info;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A device fd: its regions (BARs, config space), interrupts and reset. Mapped BARs close with the
 * device.
 */
public final class Device implements AutoCloseable {
    private final Group group;
    private final VfioBackend backend;
    private final String address;
    private final FdHandle fd;
    private final List<Bar> bars = new CopyOnWriteArrayList<>();

    Device(Vfio vfio, Group group, String address, FdHandle fd) {
        this.group = group;
        this.backend = vfio.backend();
        this.address = address;
        this.fd = fd;
    }

    public String address() {
        return address;
    }

    private long check(VfioIoctl ioctl, String detail, long r) throws VfioException {
        IoctlLog.log(ioctl, ioctl.request(backend.arch()), -1, r);
        if (r < 0) {
            throw Errors.ioctl(ioctl, ioctl.request(backend.arch()), address + detail, (int) -r);
        }
        return r;
    }

    /** VFIO_DEVICE_GET_INFO. */
    public DeviceInfo info() throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(vfio_device_info.LAYOUT);
            vfio_device_info.argsz.set(s, (int) vfio_device_info.SIZE);
            check(VFIO_DEVICE_GET_INFO, "", backend.deviceGetInfo(f, s));
            return new DeviceInfo(vfio_device_info.flags.get(s), vfio_device_info.num_regions.get(s),
                    vfio_device_info.num_irqs.get(s));
        } finally {
            fd.release();
        }
    }

    /** VFIO_DEVICE_GET_REGION_INFO for {@code index} (0-5 BARs, 7 config space). */
    public Region region(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(vfio_region_info.LAYOUT);
            vfio_region_info.argsz.set(s, (int) vfio_region_info.SIZE);
            vfio_region_info.index.set(s, index);
            check(VFIO_DEVICE_GET_REGION_INFO, " region " + index, backend.deviceGetRegionInfo(f, s));
            return new Region(index, vfio_region_info.flags.get(s), vfio_region_info.size.get(s),
                    vfio_region_info.offset.get(s));
        } finally {
            fd.release();
        }
    }

    /** VFIO_DEVICE_GET_IRQ_INFO for {@code index} (0 INTx, 1 MSI, 2 MSI-X, 3 ERR, 4 REQ). */
    public IrqInfo irqInfo(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(vfio_irq_info.LAYOUT);
            vfio_irq_info.argsz.set(s, (int) vfio_irq_info.SIZE);
            vfio_irq_info.index.set(s, index);
            check(VFIO_DEVICE_GET_IRQ_INFO, " irq " + index, backend.deviceGetIrqInfo(f, s));
            return new IrqInfo(index, vfio_irq_info.flags.get(s), vfio_irq_info.count.get(s));
        } finally {
            fd.release();
        }
    }

    /** VFIO_DEVICE_SET_IRQS: trigger vector 0 of {@code index} on {@code eventfd}. */
    public void setIrqEventfd(int index, EventFd eventfd) throws VfioException {
        setIrqEventfds(index, List.of(eventfd));
    }

    /**
     * VFIO_DEVICE_SET_IRQS: trigger vectors {@code 0 .. eventfds.size()-1} of {@code index} on one
     * eventfd each (e.g. one MSI-X vector per queue). The count cannot exceed the index's
     * {@link #irqInfo} count; the kernel answers EINVAL.
     */
    public void setIrqEventfds(int index, List<EventFd> eventfds) throws VfioException {
        if (eventfds.isEmpty()) {
            throw new IllegalArgumentException("no eventfd for irq index " + index + ": use disableIrq");
        }
        int f = fd.acquire();
        int acquired = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(vfio_irq_set.SIZE + 4L * eventfds.size(), 4);
            vfio_irq_set.argsz.set(s, (int) s.byteSize());
            vfio_irq_set.flags.set(s, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER);
            vfio_irq_set.index.set(s, index);
            vfio_irq_set.start.set(s, 0);
            vfio_irq_set.count.set(s, eventfds.size());
            for (EventFd e : eventfds) {
                s.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_irq_set.SIZE + 4L * acquired, e.acquire());
                acquired++;
            }
            check(VFIO_DEVICE_SET_IRQS, " irq " + index + (eventfds.size() > 1 ? " (" + eventfds.size() + " vectors)" : ""),
                    backend.deviceSetIrqs(f, s));
        } finally {
            for (int i = 0; i < acquired; i++) {
                eventfds.get(i).release();
            }
            fd.release();
        }
    }

    /** VFIO_DEVICE_SET_IRQS with DATA_NONE and count 0: disables {@code index}. */
    public void disableIrq(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(vfio_irq_set.LAYOUT);
            vfio_irq_set.argsz.set(s, (int) vfio_irq_set.SIZE);
            vfio_irq_set.flags.set(s, VfioUapi.VFIO_IRQ_SET_DATA_NONE | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER);
            vfio_irq_set.index.set(s, index);
            check(VFIO_DEVICE_SET_IRQS, " irq " + index + " off", backend.deviceSetIrqs(f, s));
        } finally {
            fd.release();
        }
    }

    /** VFIO_DEVICE_RESET. */
    public void reset() throws VfioException {
        int f = fd.acquire();
        try {
            check(VFIO_DEVICE_RESET, "", backend.deviceReset(f));
        } finally {
            fd.release();
        }
    }

    /** Reads {@code dst.byteSize()} bytes of region {@code r} at {@code offset} (pread). */
    public void read(Region r, long offset, MemorySegment dst) throws VfioException {
        io(r, offset, dst, false);
    }

    /** Writes {@code src} to region {@code r} at {@code offset} (pwrite). */
    public void write(Region r, long offset, MemorySegment src) throws VfioException {
        io(r, offset, src, true);
    }

    private void io(Region r, long offset, MemorySegment buf, boolean write) throws VfioException {
        if (offset < 0 || offset + buf.byteSize() > r.size()) {
            throw new VfioGuardException((write ? "pwrite" : "pread") + " region " + r.index() + " offset 0x"
                    + Long.toHexString(offset), 0, "outside the region's 0x" + Long.toHexString(r.size()) + " bytes");
        }
        int f = fd.acquire();
        try {
            long n = write ? backend.pwrite(f, buf, r.offset() + offset) : backend.pread(f, buf, r.offset() + offset);
            if (n < 0) {
                throw Errors.system((write ? "pwrite" : "pread") + "(" + address + ", region " + r.index() + ")",
                        (int) -n, "the region may not allow this access width or offset");
            }
            if (n != buf.byteSize()) {
                throw Errors.system("short " + (write ? "pwrite" : "pread") + " (" + n + " of " + buf.byteSize() + ")",
                        0, "the region may not allow this access width");
            }
        } finally {
            fd.release();
        }
    }

    /** A 16-bit config-space read (little-endian, as PCI config space is). */
    public int readConfig16(int offset) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(2);
            read(region(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX), offset, b);
            return Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    /** A 16-bit config-space write. */
    public void writeConfig16(int offset, int value) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(2);
            b.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, (short) value);
            write(region(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX), offset, b);
        }
    }

    /** Maps BAR {@code index} (mmap of the device fd). The mapping closes with the device. */
    public Bar mapBar(int index) throws VfioException {
        Region r = region(index);
        if (!r.mappable() || r.size() == 0) {
            throw new VfioGuardException("mmap region " + index + " of " + address, 0,
                    "the region is not mappable (flags 0x" + Integer.toHexString(r.flags()) + "): use read/write");
        }
        int f = fd.acquire();
        try {
            Mmio m = backend.mmapRegion(f, r.offset(), r.size());
            Bar b = new Bar(r, m);
            bars.add(b);
            return b;
        } catch (ErrnoException e) {
            throw Errors.system(e.operation(), e.errno(), "the BAR may be smaller than a page, or not mappable");
        } finally {
            fd.release();
        }
    }

    public Group group() {
        return group;
    }

    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Unmaps the BARs, then closes the device fd. Idempotent. */
    @Override
    public void close() {
        for (Bar b : bars) {
            b.close();
        }
        bars.clear();
        if (fd.close()) {
            group.deviceClosed(this);
        }
    }
}
