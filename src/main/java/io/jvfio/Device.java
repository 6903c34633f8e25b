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
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A device fd: its regions (BARs, config space), interrupts and reset. Mapped BARs close with the
 * device.
 *
 * <p>Thread-safe: every method may be called from any thread, and {@link #close()} from another
 * thread makes later calls throw {@link IllegalStateException}, never reach a reused fd.
 */
public final class Device implements AutoCloseable {
    private final Group group;
    private final VfioBackend backend;
    private final String address;
    private final FdHandle fd;
    private final List<Bar> bars = new CopyOnWriteArrayList<>();
    private final List<ReleaseRequests> watches = new CopyOnWriteArrayList<>();
    private final Vfio vfio;

    Device(Vfio vfio, Group group, String address, FdHandle fd) {
        this.vfio = vfio;
        this.group = group;
        this.backend = vfio.backend();
        this.address = address;
        this.fd = fd;
    }

    /**
     * The PCI address the device was opened with.
     *
     * @return e.g. {@code 0000:00:00.0}
     */
    public String address() {
        return address;
    }

    private long check(VfioIoctl ioctl, String detail, long r) throws VfioException {
        IoctlLog.log(ioctl, ioctl.request(backend.arch()), -1, r);
        if (r < 0) {
            throw Errors.ioctl(backend, ioctl, address + detail, (int) -r);
        }
        return r;
    }

    /**
     * VFIO_DEVICE_GET_INFO.
     *
     * @return the flags and the numbers of regions and interrupt indexes
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public DeviceInfo info() throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_device_info.fill(a.allocate(vfio_device_info.LAYOUT));
            check(VFIO_DEVICE_GET_INFO, "", backend.deviceGetInfo(f, s));
            return new DeviceInfo(vfio_device_info.flags.get(s), vfio_device_info.num_regions.get(s),
                    vfio_device_info.num_irqs.get(s));
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_DEVICE_GET_REGION_INFO.
     *
     * @param index 0-5 BARs, 6 ROM, 7 config space
     * @return where the region lives and what it allows
     * @throws VfioException if the kernel refused (EINVAL for an index the device does not have)
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public Region region(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_region_info.fill(a.allocate(vfio_region_info.LAYOUT), index);
            check(VFIO_DEVICE_GET_REGION_INFO, " region " + index, backend.deviceGetRegionInfo(f, s));
            return new Region(index, vfio_region_info.flags.get(s), vfio_region_info.size.get(s),
                    vfio_region_info.offset.get(s));
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_DEVICE_GET_IRQ_INFO.
     *
     * @param index 0 INTx, 1 MSI, 2 MSI-X, 3 ERR, 4 REQ
     * @return the index's flags and vector count
     * @throws VfioException if the kernel refused (EINVAL for an index the device does not have)
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public IrqInfo irqInfo(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_irq_info.fill(a.allocate(vfio_irq_info.LAYOUT), index);
            check(VFIO_DEVICE_GET_IRQ_INFO, " irq " + index, backend.deviceGetIrqInfo(f, s));
            return new IrqInfo(index, vfio_irq_info.flags.get(s), vfio_irq_info.count.get(s));
        } finally {
            fd.release();
        }
    }

    /**
     * VFIO_DEVICE_SET_IRQS: trigger vector 0 of {@code index} on {@code eventfd}.
     *
     * @param index the interrupt index (see {@link #irqInfo})
     * @param eventfd where the interrupt is signalled
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the device or the eventfd is closed
     * @throws NullPointerException if {@code eventfd} is null
     */
    public void setIrqEventfd(int index, EventFd eventfd) throws VfioException {
        Objects.requireNonNull(eventfd, "eventfd");
        setIrqEventfds(index, List.of(eventfd));
    }

    /**
     * VFIO_DEVICE_SET_IRQS: trigger vectors {@code 0 .. eventfds.size()-1} of {@code index} on one
     * eventfd each (e.g. one MSI-X vector per queue).
     *
     * @param index the interrupt index (see {@link #irqInfo})
     * @param eventfds one per vector, in vector order
     * @throws VfioException if the kernel refused the ioctl (EINVAL: more vectors than {@link #irqInfo} counts)
     * @throws IllegalArgumentException if {@code eventfds} is empty (use {@link #disableIrq})
     * @throws IllegalStateException if the device or an eventfd is closed
     */
    public void setIrqEventfds(int index, List<EventFd> eventfds) throws VfioException {
        if (eventfds.isEmpty()) {
            throw new IllegalArgumentException("no eventfd for irq index " + index + ": use disableIrq");
        }
        int f = fd.acquire();
        int acquired = 0;
        try (Arena a = Arena.ofConfined()) {
            long data = vfio_irq_set.EVENTFD_SIZE * eventfds.size();
            MemorySegment s = vfio_irq_set.fill(a.allocate(vfio_irq_set.SIZE + data, 4),
                    VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER, index, 0,
                    eventfds.size(), data);
            for (EventFd e : eventfds) {
                s.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_irq_set.SIZE + vfio_irq_set.EVENTFD_SIZE * acquired,
                        e.acquire());
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

    /**
     * VFIO_DEVICE_SET_IRQS with DATA_NONE and count 0: disables {@code index}.
     *
     * @param index the interrupt index
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public void disableIrq(int index) throws VfioException {
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_irq_set.fill(a.allocate(vfio_irq_set.LAYOUT),
                    VfioUapi.VFIO_IRQ_SET_DATA_NONE | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 0, 0);
            check(VFIO_DEVICE_SET_IRQS, " irq " + index + " off", backend.deviceSetIrqs(f, s));
        } finally {
            fd.release();
        }
    }

    /**
     * Calls {@code listener} once when the kernel asks for the device back: vfio-pci's request
     * interrupt ({@code VFIO_PCI_REQ_IRQ_INDEX}, armed here with VFIO_DEVICE_SET_IRQS on an eventfd),
     * signalled when the device is hot-removed (DLPAR) or unbound. The kernel then waits until every fd
     * of the device is closed, so the listener should release it: close the device, or the
     * {@code DmaSession} that holds it. It runs on a daemon thread of the watch.
     *
     * @param listener what releases the device; it gets this device
     * @return the watch; close it to disarm (closing the device closes it too)
     * @throws VfioException if the kernel refused the ioctl (e.g. a device without the request
     *     interrupt: {@code irqInfo(4).count()} is 0)
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     * @throws NullPointerException if {@code listener} is null
     */
    public ReleaseRequests onReleaseRequest(java.util.function.Consumer<Device> listener) throws VfioException {
        ReleaseRequests w = ReleaseRequests.arm(vfio, this, listener);
        watches.add(w);
        return w;
    }

    /**
     * VFIO_DEVICE_RESET.
     *
     * @throws VfioException if the kernel refused (e.g. the device has no reset method)
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public void reset() throws VfioException {
        int f = fd.acquire();
        try {
            check(VFIO_DEVICE_RESET, "", backend.deviceReset(f));
        } finally {
            fd.release();
        }
    }

    /**
     * Reads {@code dst.byteSize()} bytes of region {@code r} at {@code offset} (pread).
     *
     * @param r the region, from {@link #region}
     * @param offset byte offset in the region
     * @param dst where the bytes go
     * @throws VfioGuardException if the range is outside the region (nothing is read)
     * @throws VfioException if the pread failed or was short
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     * @throws NullPointerException if an argument is null
     */
    public void read(Region r, long offset, MemorySegment dst) throws VfioException {
        io(r, offset, dst, false);
    }

    /**
     * Writes {@code src} to region {@code r} at {@code offset} (pwrite).
     *
     * @param r the region, from {@link #region}
     * @param offset byte offset in the region
     * @param src the bytes to write
     * @throws VfioGuardException if the range is outside the region (nothing is written)
     * @throws VfioException if the pwrite failed or was short
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     * @throws NullPointerException if an argument is null
     */
    public void write(Region r, long offset, MemorySegment src) throws VfioException {
        io(r, offset, src, true);
    }

    private void io(Region r, long offset, MemorySegment buf, boolean write) throws VfioException {
        Objects.requireNonNull(r, "region");
        Objects.requireNonNull(buf, write ? "src" : "dst");
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

    /**
     * A 16-bit config-space read (little-endian, as PCI config space is).
     *
     * @param offset byte offset in config space, e.g. 0x04 for the command register
     * @return the unsigned 16-bit value
     * @throws VfioException if the read failed or is outside config space
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public int readConfig16(int offset) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(2);
            read(region(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX), offset, b);
            return Short.toUnsignedInt(b.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    /**
     * A 16-bit config-space write.
     *
     * @param offset byte offset in config space
     * @param value the value; its low 16 bits are written
     * @throws VfioException if the write failed or is outside config space
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
    public void writeConfig16(int offset, int value) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(2);
            b.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, (short) value);
            write(region(VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX), offset, b);
        }
    }

    /**
     * Maps BAR {@code index} (mmap of the device fd). The mapping closes with the device.
     *
     * @param index the BAR, 0-5
     * @return the mapped BAR
     * @throws VfioGuardException if the region is not mappable (use {@link #read}/{@link #write})
     * @throws VfioException if GET_REGION_INFO or the mmap failed
     * @throws IllegalStateException if the device (or its group or {@link Vfio}) is closed
     */
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

    /**
     * The group the device was opened from.
     *
     * @return its group
     */
    public Group group() {
        return group;
    }

    /**
     * Whether the device fd is open.
     *
     * @return false after {@link #close()} or the close of its group, container or {@link Vfio}
     */
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Disarms its release-request watches, unmaps the BARs, then closes the device fd. Idempotent. */
    @Override
    public void close() {
        for (ReleaseRequests w : watches) {
            w.close();
        }
        watches.clear();
        for (Bar b : bars) {
            b.close();
        }
        bars.clear();
        if (fd.close()) {
            group.deviceClosed(this);
        }
    }
}
