package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EEXIST;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.EIO;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOSPC;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_device_ioeventfd;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * BAR access of a vfio-pci device (drivers/vfio/pci/vfio_pci_rdwr.c, Linux 6.12): pread/pwrite of
 * the BAR regions split into bus accesses, VFIO_DEVICE_IOEVENTFD, and the CPU loads and stores
 * through a BAR mmap. Bytes on the bus are in the function's {@link PciFunction#barOrder}; the
 * little-endian CPU (and host) sees a big-endian device's registers byte-swapped, through mmap and
 * pread alike.
 */
final class VfioPciRdwr {
    static final long OFFSET_MASK = (1L << VfioUapi.VFIO_PCI_OFFSET_SHIFT) - 1;
    private static final int IOEVENTFD_MAX = 1000;

    private final String name;
    private final PciFunction function;
    private final PciConfig config;
    private final VfioPciDevice device;
    private final List<IoEventFd> ioeventfds = new ArrayList<>();

    private record IoEventFd(int bar, long pos, long data, int count, EventFdFile fd, Runnable hook) {}

    VfioPciRdwr(String name, PciFunction function, VfioPciDevice device) {
        this.name = name;
        this.function = function;
        this.config = function.config();
        this.device = device;
    }

    /** {@code vfio_pci_bar_rw}: bytes transferred, or -errno; {@code index} is a BAR the function has. */
    long barRw(int index, MemorySegment buf, long off, boolean write) {
        long barSize = config.barSize(index);
        if (off >= barSize) {
            return -EINVAL;
        }
        long count = Math.min(buf.byteSize(), barSize - off);
        // the MSI-X table is the host's: reads of it return 0xff, writes are dropped
        long xStart = index == config.msixTableBar() ? config.msixTableOffset() : 0;
        long xEnd = index == config.msixTableBar() ? xStart + config.msixTableSize() : 0;
        long done = 0;
        while (done < count) {
            long a = off + done;
            long left = count - done;
            long fillable = a < xStart ? Math.min(left, xStart - a) : a >= xEnd ? left : 0;
            if (fillable == 0) {
                long filled = Math.min(left, xEnd - a);
                if (!write) {
                    buf.asSlice(done, filled).fill((byte) 0xff);
                }
                done += filled;
                continue;
            }
            // vfio_pci_core_do_io_rw: 8-byte accesses since 6.11 (ioread64 exists on ppc64), then 4, 2, 1
            int n = fillable >= 8 && (a & 7) == 0 ? 8 : fillable >= 4 && (a & 3) == 0 ? 4
                    : fillable >= 2 && (a & 1) == 0 ? 2 : 1;
            if (!config.memoryEnabled()) {
                return -EIO; // vfio: memory decode disabled
            }
            MemorySegment chunk = buf.asSlice(done, n);
            if (write) {
                busWrite(index, a, chunk.toArray(ValueLayout.JAVA_BYTE));
            } else {
                long v = function.barRead(index, a, n);
                boolean be = function.barOrder() == ByteOrder.BIG_ENDIAN;
                for (int i = 0; i < n; i++) {
                    chunk.set(ValueLayout.JAVA_BYTE, i, (byte) (v >>> (8 * (be ? n - 1 - i : i))));
                }
            }
            done += n;
        }
        return count;
    }

    /** A bus write of {@code bytes} (bus order) at {@code a} of BAR {@code bar}. */
    private void busWrite(int bar, long a, byte[] bytes) {
        int n = bytes.length;
        boolean be = function.barOrder() == ByteOrder.BIG_ENDIAN;
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (bytes[i] & 0xffL) << (8 * (be ? n - 1 - i : i));
        }
        function.barWrite(bar, a, v, n);
    }

    /** {@code vfio_pci_ioeventfd}: a write of {@code data} to the BAR each time the eventfd is written. */
    long ioeventfd(MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_device_ioeventfd.argsz, vfio_device_ioeventfd.MINSZ);
        if (bad != 0) {
            return bad;
        }
        int flags = vfio_device_ioeventfd.flags.get(seg);
        if ((flags & ~VfioUapi.VFIO_DEVICE_IOEVENTFD_SIZE_MASK) != 0) {
            return -EINVAL;
        }
        int count = flags & VfioUapi.VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
        if (Integer.bitCount(count) != 1) {
            return -EINVAL;
        }
        long offset = vfio_device_ioeventfd.offset.get(seg);
        long data = vfio_device_ioeventfd.data.get(seg);
        int fd = vfio_device_ioeventfd.fd.get(seg);
        long pos = offset & OFFSET_MASK;
        int bar = (int) (offset >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        if (Integer.compareUnsigned(bar, VfioUapi.VFIO_PCI_BAR5_REGION_INDEX) > 0) {
            return -EINVAL;
        }
        if (Long.compareUnsigned(pos + count, config.barSize(bar)) > 0) {
            return -EINVAL;
        }
        for (IoEventFd e : ioeventfds) {
            if (e.bar == bar && e.pos == pos && e.data == data && e.count == count) {
                if (fd == -1) {
                    e.fd.removeWriteListener(e.hook);
                    ioeventfds.remove(e);
                    return 0;
                }
                return -EEXIST;
            }
        }
        if (fd < 0) {
            return -ENODEV;
        }
        if (ioeventfds.size() >= IOEVENTFD_MAX) {
            return -ENOSPC;
        }
        long[] err = new long[1];
        EventFdFile e = device.eventfdGet(fd, err);
        if (e == null) {
            return err[0];
        }
        Runnable hook = () -> {
            e.drain();
            if (config.memoryEnabled()) {
                busWrite(bar, pos, littleEndianBytes(data, count)); // iowrite*: little-endian on the bus
            }
        };
        e.addWriteListener(hook);
        ioeventfds.add(new IoEventFd(bar, pos, data, count, e, hook));
        return 0;
    }

    private static byte[] littleEndianBytes(long v, int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    /** Every ioeventfd goes at the last close. */
    void release() {
        for (IoEventFd e : ioeventfds) {
            e.fd.removeWriteListener(e.hook);
        }
        ioeventfds.clear();
    }

    /** A CPU load from a BAR mapping, as the little-endian CPU sees it. */
    long mmioRead(int bar, long barOffset, int size) {
        requireDecode(bar, barOffset);
        if (barOffset + size > config.barSize(bar)) {
            return 0; // the rest of the page of a BAR smaller than a page: vfio's dummy resource, no device
        }
        return cpuOrder(function.barRead(bar, barOffset, size), size);
    }

    /** A CPU store to a BAR mapping; an unaligned store never reaches the device. */
    void mmioWrite(int bar, long barOffset, long cpuValue, int size) {
        requireDecode(bar, barOffset);
        if ((barOffset & (size - 1)) != 0 || barOffset + size > config.barSize(bar)) {
            return;
        }
        function.barWrite(bar, barOffset, cpuOrder(cpuValue, size), size);
    }

    /** Between the little-endian CPU's view and the device's (a swap, for a big-endian device). */
    private long cpuOrder(long v, int size) {
        if (function.barOrder() == ByteOrder.LITTLE_ENDIAN) {
            return v;
        }
        return size == 8 ? Long.reverseBytes(v) : Integer.toUnsignedLong(Integer.reverseBytes((int) v));
    }

    private void requireDecode(int bar, long off) {
        if (!config.memoryEnabled()) {
            throw new IllegalStateException(String.format("SIGBUS: access to BAR%d+0x%x of %s while memory decode is"
                    + " disabled (PCI_COMMAND.MEMORY clear): vfio-pci zaps the mapping and faults the access", bar, off,
                    name));
        }
    }
}
