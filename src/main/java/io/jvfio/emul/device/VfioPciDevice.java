package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EBADF;
import static io.jvfio.backend.Errno.EEXIST;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.EIO;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.backend.Errno.ENOTTY;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.emul.QemuAbortException;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * An edu device bound to vfio-pci (drivers/vfio/pci/vfio_pci_core.c, vfio_pci_intrs.c,
 * vfio_pci_rdwr.c, vfio_pci_config.c as in Linux 6.12): the device-fd ioctls, region reads and
 * writes, BAR0 mmap, and interrupts delivered to eventfds.
 *
 * <p>BAR0 is big-endian (edu is DEVICE_NATIVE_ENDIAN on qemu-system-ppc64): the bytes on the bus
 * are the register value in big-endian order, so the little-endian ppc64le CPU (and the
 * little-endian host running the emulator) reads the ID register 0x010000ed as 0xed000001, through
 * mmap and through pread alike. Callers hold the platform lock.
 */
public final class VfioPciDevice {
    public static final int IRQ_NONE = -1;
    static final long BAR0_SIZE = 1 << 20;
    static final int NUM_REGIONS = VfioUapi.VFIO_PCI_NUM_REGIONS;
    static final int NUM_IRQS = VfioUapi.VFIO_PCI_NUM_IRQS;
    private static final long OFFSET_MASK = (1L << VfioUapi.VFIO_PCI_OFFSET_SHIFT) - 1;
    private static final int IOEVENTFD_MAX = 1000;

    private final String name;
    private final int group;
    private final DeviceHost host;
    private final DmaPort dma;
    private final long pageSize;
    private final EduModel edu;
    private final EduConfig cfg;

    private int openCount;
    private int irqType = IRQ_NONE;
    private EventFdFile intxTrigger;
    private boolean intxMasked;
    private boolean intxLine;
    private boolean virqDisabled;
    private EventFdFile intxUnmaskFd;
    private final Runnable intxUnmaskHook = this::virqfdUnmask;
    private EventFdFile msiTrigger;
    private EventFdFile reqTrigger;
    private final List<IoEventFd> ioeventfds = new ArrayList<>();

    private record IoEventFd(long pos, long data, int count, EventFdFile fd, Runnable hook) {}

    public VfioPciDevice(String name, int group, long dmaMask, long pageSize, int initialCommand, DeviceHost host,
            DmaPort dma) {
        this.name = name;
        this.cfg = new EduConfig(initialCommand);
        this.group = group;
        this.host = host;
        this.dma = dma;
        this.pageSize = pageSize;
        this.edu = new EduModel(new Pins(), dmaMask);
    }

    public String name() {
        return name;
    }

    public int group() {
        return group;
    }

    public EduModel edu() {
        return edu;
    }

    public EduConfig config() {
        return cfg;
    }

    public int openCount() {
        return openCount;
    }

    public int irqType() {
        return irqType;
    }

    public boolean intxMasked() {
        return intxMasked;
    }

    /**
     * {@code vfio_pci_core_match}: 1 for the name, optionally followed by blanks; 0 when the name does
     * not match; -EINVAL for anything after "NAME " (an unknown option, or a {@code vf_token}, which
     * edu, neither a PF nor a VF, must not be given).
     */
    public int match(String buf) {
        if (!buf.startsWith(name)) {
            return 0;
        }
        if (buf.length() == name.length()) {
            return 1;
        }
        String rest = buf.substring(name.length());
        if (rest.charAt(0) != ' ') {
            return 0; // "No match: non-whitespace after name"
        }
        return rest.chars().allMatch(c -> c == ' ') ? 1 : -EINVAL;
    }

    // ---- open / close ----------------------------------------------------------------------------------

    /** {@code vfio_df_open}: the first open enables the device and saves its config state. */
    public void open() {
        if (openCount++ == 0) {
            cfg.save();
        }
    }

    /** {@code vfio_df_close}: the last close disables interrupts and restores the config (bus master off). */
    public void close() {
        if (--openCount > 0) {
            return;
        }
        if (irqType != IRQ_NONE) {
            setIrqs(VfioUapi.VFIO_IRQ_SET_DATA_NONE | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER, irqType, 0, 0, null);
        }
        reqTrigger = null;
        for (IoEventFd e : ioeventfds) {
            e.fd.removeWriteListener(e.hook);
        }
        ioeventfds.clear();
        virqDisabled = false;
        cfg.restoreAndDisable();
    }

    // ---- ioctls ---------------------------------------------------------------------------------------

    /** {@code vfio_device_fops_unl_ioctl} then {@code vfio_pci_core_ioctl}. */
    public long ioctl(VfioIoctl cmd, MemorySegment seg) {
        if (cmd == null) {
            return -ENOTTY;
        }
        return switch (cmd.offset()) {
            case 7 -> getInfo(seg);
            case 8 -> getRegionInfo(seg);
            case 9 -> getIrqInfo(seg);
            case 10 -> setIrqsIoctl(seg);
            case 11 -> -EINVAL; // VFIO_DEVICE_RESET: no reset method (observed flags 0x2, no RESET)
            case 12 -> hotResetInfo(seg); // VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
            case 13 -> hotReset(seg); // VFIO_DEVICE_PCI_HOT_RESET
            case 16 -> ioeventfd(seg); // VFIO_DEVICE_IOEVENTFD
            case 17 -> feature(seg); // VFIO_DEVICE_FEATURE
            case 18 -> -ENOTTY; // VFIO_DEVICE_BIND_IOMMUFD without CONFIG_VFIO_DEVICE_CDEV (to check)
            default -> -ENOTTY;
        };
    }

    private long getInfo(MemorySegment seg) {
        if (!UserCopy.ok(seg, 16)) {
            return -EFAULT;
        }
        int argsz = UserCopy.u32(seg, 0);
        if (Integer.compareUnsigned(argsz, 16) < 0) {
            return -EINVAL;
        }
        long minsz = Math.min(Integer.toUnsignedLong(argsz), 20);
        if (!UserCopy.ok(seg, minsz)) {
            return -EFAULT;
        }
        UserCopy.putU32(seg, 4, VfioUapi.VFIO_DEVICE_FLAGS_PCI);
        UserCopy.putU32(seg, 8, NUM_REGIONS);
        UserCopy.putU32(seg, 12, NUM_IRQS);
        if (minsz >= 20) {
            UserCopy.putU32(seg, 16, 0); // cap_offset: info was zero-initialised
        }
        return 0;
    }

    private long getRegionInfo(MemorySegment seg) {
        if (!UserCopy.ok(seg, 32)) {
            return -EFAULT;
        }
        if (Integer.compareUnsigned(UserCopy.u32(seg, 0), 32) < 0) {
            return -EINVAL;
        }
        int index = UserCopy.u32(seg, 8);
        long size;
        int flags;
        if (index == VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX) {
            size = EduConfig.SIZE;
            flags = VfioUapi.VFIO_REGION_INFO_FLAG_READ | VfioUapi.VFIO_REGION_INFO_FLAG_WRITE;
        } else if (index == VfioUapi.VFIO_PCI_BAR0_REGION_INDEX) {
            size = BAR0_SIZE;
            flags = VfioUapi.VFIO_REGION_INFO_FLAG_READ | VfioUapi.VFIO_REGION_INFO_FLAG_WRITE
                    | VfioUapi.VFIO_REGION_INFO_FLAG_MMAP;
        } else if (index >= 1 && index <= VfioUapi.VFIO_PCI_ROM_REGION_INDEX) {
            size = 0; // no BAR1-5, no option ROM
            flags = 0;
        } else {
            return -EINVAL; // VGA (no VGA), or beyond the regions
        }
        UserCopy.putU32(seg, 4, flags);
        UserCopy.putU64(seg, 16, size);
        UserCopy.putU64(seg, 24, VfioUapi.VFIO_PCI_INDEX_TO_OFFSET(index));
        return 0;
    }

    /** vfio_pci_get_irq_count for edu: one INTx (pin A), one MSI vector, no MSI-X, no ERR (not PCIe), one REQ. */
    static int irqCount(int index) {
        return switch (index) {
            case VfioUapi.VFIO_PCI_INTX_IRQ_INDEX, VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, VfioUapi.VFIO_PCI_REQ_IRQ_INDEX -> 1;
            default -> 0;
        };
    }

    private long getIrqInfo(MemorySegment seg) {
        if (!UserCopy.ok(seg, 16)) {
            return -EFAULT;
        }
        int argsz = UserCopy.u32(seg, 0);
        int index = UserCopy.u32(seg, 8);
        if (Integer.compareUnsigned(argsz, 16) < 0 || Integer.compareUnsigned(index, NUM_IRQS) >= 0) {
            return -EINVAL;
        }
        if (index == VfioUapi.VFIO_PCI_ERR_IRQ_INDEX) {
            return -EINVAL; // only for PCI Express devices
        }
        int flags = VfioUapi.VFIO_IRQ_INFO_EVENTFD;
        if (index == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
            flags |= VfioUapi.VFIO_IRQ_INFO_MASKABLE | VfioUapi.VFIO_IRQ_INFO_AUTOMASKED;
        } else {
            flags |= VfioUapi.VFIO_IRQ_INFO_NORESIZE;
        }
        UserCopy.putU32(seg, 4, flags);
        UserCopy.putU32(seg, 12, irqCount(index));
        return 0;
    }

    private long setIrqsIoctl(MemorySegment seg) {
        if (!UserCopy.ok(seg, 20)) {
            return -EFAULT;
        }
        int argsz = UserCopy.u32(seg, 0);
        int flags = UserCopy.u32(seg, 4);
        int index = UserCopy.u32(seg, 8);
        int start = UserCopy.u32(seg, 12);
        int count = UserCopy.u32(seg, 16);
        int max = Integer.compareUnsigned(index, NUM_IRQS) < 0 ? irqCount(index) : 0;
        // vfio_set_irqs_validate_and_prepare
        int typeMask = 0x7;
        int actionMask = 0x38;
        if (Integer.compareUnsigned(argsz, 20) < 0 || Integer.compareUnsigned(index, NUM_IRQS) >= 0
                || Integer.compareUnsigned(count, -1 - start) >= 0 || (flags & ~(typeMask | actionMask)) != 0) {
            return -EINVAL;
        }
        if (Integer.compareUnsigned(start, max) >= 0 || Integer.compareUnsigned(start + count, max) > 0) {
            return -EINVAL;
        }
        long size = switch (flags & typeMask) {
            case VfioUapi.VFIO_IRQ_SET_DATA_NONE -> 0;
            case VfioUapi.VFIO_IRQ_SET_DATA_BOOL -> 1;
            case VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD -> 4;
            default -> -1;
        };
        if (size < 0) {
            return -EINVAL;
        }
        MemorySegment data = null;
        if (size != 0) {
            long need = Integer.toUnsignedLong(count) * size;
            if (Integer.toUnsignedLong(argsz) - 20 < need) {
                return -EINVAL;
            }
            if (!UserCopy.ok(seg, 20 + need)) {
                return -EFAULT; // memdup_user
            }
            data = seg.asSlice(20, need);
        }
        return setIrqs(flags, index, start, count, data);
    }

    /** {@code vfio_pci_set_irqs_ioctl}. */
    private long setIrqs(int flags, int index, int start, int count, MemorySegment data) {
        int action = flags & 0x38;
        switch (index) {
            case VfioUapi.VFIO_PCI_INTX_IRQ_INDEX:
                return switch (action) {
                    case VfioUapi.VFIO_IRQ_SET_ACTION_MASK -> intxMask(start, count, flags, data);
                    case VfioUapi.VFIO_IRQ_SET_ACTION_UNMASK -> intxUnmask(start, count, flags, data);
                    case VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER -> intxTrigger(start, count, flags, data);
                    default -> -ENOTTY;
                };
            case VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX:
                if (action == VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER) {
                    return msiTrigger(index, start, count, flags, data);
                }
                return -ENOTTY;
            case VfioUapi.VFIO_PCI_REQ_IRQ_INDEX:
                if (action == VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER) {
                    if (start != 0 || Integer.compareUnsigned(count, 1) > 0) {
                        return -EINVAL;
                    }
                    return reqTrigger(count, flags, data);
                }
                return -ENOTTY;
            default:
                return -ENOTTY; // ERR: not PCI Express
        }
    }

    private static boolean has(int flags, int bit) {
        return (flags & bit) != 0;
    }

    /** {@code eventfd_ctx_fdget}: the eventfd, or an errno in {@code err[0]}. */
    private EventFdFile eventfdGet(int fd, long[] err) {
        EmuFile f = host.file(fd);
        if (f == null) {
            err[0] = -EBADF;
            return null;
        }
        if (!(f instanceof EventFdFile e)) {
            err[0] = -EINVAL;
            return null;
        }
        return e;
    }

    private long intxTrigger(int start, int count, int flags, MemorySegment data) {
        if (irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX && count == 0 && has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            intxDisable();
            return 0;
        }
        if (!(irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || irqType == IRQ_NONE) || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            int fd = data.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            EventFdFile trigger = null;
            if (fd >= 0) {
                long[] err = new long[1];
                trigger = eventfdGet(fd, err);
                if (trigger == null) {
                    return err[0];
                }
            }
            if (irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
                intxTrigger = trigger; // vfio_intx_set_signal
            } else {
                // vfio_intx_enable: request_irq on the (level) line; a pending level fires at once
                irqType = VfioUapi.VFIO_PCI_INTX_IRQ_INDEX;
                intxTrigger = trigger;
                intxMasked = virqDisabled;
                if (intxLine) {
                    deliverIntx();
                }
            }
            return 0;
        }
        if (irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            sendIntx();
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL) && data.get(ValueLayout.JAVA_BYTE, 0) != 0) {
            sendIntx();
        }
        return 0;
    }

    private void intxDisable() {
        if (intxUnmaskFd != null) {
            intxUnmaskFd.removeWriteListener(intxUnmaskHook);
            intxUnmaskFd = null;
        }
        intxTrigger = null;
        intxMasked = false;
        irqType = IRQ_NONE;
    }

    private long intxMask(int start, int count, int flags, MemorySegment data) {
        if (irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            intxMasked = true;
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
            if (data.get(ValueLayout.JAVA_BYTE, 0) != 0) {
                intxMasked = true;
            }
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            return -ENOTTY; /* XXX implement me */
        }
        return 0;
    }

    private long intxUnmask(int start, int count, int flags, MemorySegment data) {
        if (irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            unmaskIntx();
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
            if (data.get(ValueLayout.JAVA_BYTE, 0) != 0) {
                unmaskIntx();
            }
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            int fd = data.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            if (fd >= 0) {
                long[] err = new long[1];
                EventFdFile e = eventfdGet(fd, err);
                if (e == null) {
                    return err[0];
                }
                if (intxUnmaskFd != null) {
                    intxUnmaskFd.removeWriteListener(intxUnmaskHook);
                }
                intxUnmaskFd = e;
                e.addWriteListener(intxUnmaskHook);
            } else if (intxUnmaskFd != null) {
                intxUnmaskFd.removeWriteListener(intxUnmaskHook);
                intxUnmaskFd = null;
            }
        }
        return 0;
    }

    private void virqfdUnmask() {
        if (intxUnmaskFd != null) {
            intxUnmaskFd.drain();
        }
        unmaskIntx();
    }

    /** {@code vfio_pci_intx_unmask_handler}: a level still pending fires again (and stays masked). */
    private void unmaskIntx() {
        if (!intxMasked || virqDisabled) {
            return;
        }
        if (intxLine) {
            sendIntx();
        } else {
            intxMasked = false;
        }
    }

    /** The host's vfio_intx_handler on an asserted line: mask, signal. */
    private void deliverIntx() {
        if (irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || intxMasked) {
            return;
        }
        intxMasked = true;
        sendIntx();
    }

    private void sendIntx() {
        if (intxTrigger != null) {
            intxTrigger.signal();
        }
    }

    private long msiTrigger(int index, int start, int count, int flags, MemorySegment data) {
        if (irqType == index && count == 0 && has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            msiTrigger = null;
            irqType = IRQ_NONE;
            return 0;
        }
        if (!(irqType == index || irqType == IRQ_NONE)) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            boolean enabling = irqType != index;
            if (enabling) {
                irqType = index; // vfio_msi_enable: one vector
            }
            // vfio_msi_set_block: vector 0 only (start + count <= 1)
            for (int j = 0; j < count; j++) {
                int fd = data.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * j);
                if (fd < 0) {
                    msiTrigger = null;
                    continue;
                }
                long[] err = new long[1];
                EventFdFile e = eventfdGet(fd, err);
                if (e == null) {
                    msiTrigger = null;
                    if (enabling) {
                        irqType = IRQ_NONE; // vfio_msi_disable on failure
                    }
                    return err[0];
                }
                msiTrigger = e;
            }
            return 0;
        }
        if (irqType != index) {
            return -EINVAL;
        }
        for (int i = start; i < start + count; i++) {
            if (msiTrigger == null) {
                continue;
            }
            if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
                msiTrigger.signal();
            } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL) && data.get(ValueLayout.JAVA_BYTE, i - start) != 0) {
                msiTrigger.signal();
            }
        }
        return 0;
    }

    /** {@code vfio_pci_set_ctx_trigger_single} for the request interrupt. */
    private long reqTrigger(int count, int flags, MemorySegment data) {
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            if (reqTrigger != null) {
                if (count != 0) {
                    reqTrigger.signal();
                } else {
                    reqTrigger = null;
                }
            }
            return 0;
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
            if (count == 0) {
                return -EINVAL;
            }
            if (data.get(ValueLayout.JAVA_BYTE, 0) != 0 && reqTrigger != null) {
                reqTrigger.signal();
            }
            return 0;
        } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            if (count == 0) {
                return -EINVAL;
            }
            int fd = data.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
            if (fd == -1) {
                reqTrigger = null;
            } else if (fd >= 0) {
                long[] err = new long[1];
                EventFdFile e = eventfdGet(fd, err);
                if (e == null) {
                    return err[0];
                }
                reqTrigger = e;
            }
            return 0;
        }
        return -EINVAL;
    }

    private long hotResetInfo(MemorySegment seg) {
        if (!UserCopy.ok(seg, 12)) {
            return -EFAULT;
        }
        if (Integer.compareUnsigned(UserCopy.u32(seg, 0), 12) < 0) {
            return -EINVAL;
        }
        return -ENODEV; // no slot or bus reset for a device on the PHB's root bus (to check)
    }

    private long hotReset(MemorySegment seg) {
        if (!UserCopy.ok(seg, 12)) {
            return -EFAULT;
        }
        if (Integer.compareUnsigned(UserCopy.u32(seg, 0), 12) < 0 || UserCopy.u32(seg, 4) != 0) {
            return -EINVAL;
        }
        return -ENODEV; // (to check)
    }

    private long feature(MemorySegment seg) {
        if (!UserCopy.ok(seg, 8)) {
            return -EFAULT;
        }
        int argsz = UserCopy.u32(seg, 0);
        int flags = UserCopy.u32(seg, 4);
        int get = 1 << 16;
        int set = 1 << 17;
        int probe = 1 << 18;
        if (Integer.compareUnsigned(argsz, 8) < 0) {
            return -EINVAL;
        }
        if ((flags & ~(0xffff | get | set | probe)) != 0) {
            return -EINVAL;
        }
        if ((flags & probe) == 0 && (flags & set) != 0 && (flags & get) != 0) {
            return -EINVAL;
        }
        int feature = flags & 0xffff;
        if (feature >= 3 && feature <= 5) {
            // low-power entry/exit: vfio_check_feature(flags, argsz, SET, 0), then the PM call
            if ((flags & (get | set) & ~set) != 0) {
                return -EINVAL;
            }
            if ((flags & probe) != 0) {
                return 0;
            }
            if ((flags & (get | set)) == 0) {
                return -EINVAL;
            }
            return 0;
        }
        return -ENOTTY; // no VF token, no migration, no dirty tracking
    }

    private long ioeventfd(MemorySegment seg) {
        if (!UserCopy.ok(seg, 28)) {
            return -EFAULT;
        }
        if (Integer.compareUnsigned(UserCopy.u32(seg, 0), 28) < 0) {
            return -EINVAL;
        }
        int flags = UserCopy.u32(seg, 4);
        if ((flags & ~0xf) != 0) {
            return -EINVAL;
        }
        int count = flags & 0xf;
        if (Integer.bitCount(count) != 1) {
            return -EINVAL;
        }
        long offset = UserCopy.u64(seg, 8);
        long data = UserCopy.u64(seg, 16);
        int fd = UserCopy.u32(seg, 24);
        long pos = offset & OFFSET_MASK;
        int bar = (int) (offset >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        if (Integer.compareUnsigned(bar, VfioUapi.VFIO_PCI_BAR5_REGION_INDEX) > 0) {
            return -EINVAL;
        }
        long len = bar == 0 ? BAR0_SIZE : 0;
        if (Long.compareUnsigned(pos + count, len) > 0) {
            return -EINVAL;
        }
        for (IoEventFd e : ioeventfds) {
            if (e.pos == pos && e.data == data && e.count == count) {
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
        EventFdFile e = eventfdGet(fd, err);
        if (e == null) {
            return err[0];
        }
        Runnable hook = () -> {
            e.drain();
            if (cfg.memoryEnabled()) {
                barWrite(pos, littleEndianBytes(data, count), count);
            }
        };
        e.addWriteListener(hook);
        ioeventfds.add(new IoEventFd(pos, data, count, e, hook));
        return 0;
    }

    private static byte[] littleEndianBytes(long v, int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    // ---- regions: read/write -----------------------------------------------------------------------

    /** {@code vfio_pci_rw}: bytes transferred, or -errno. {@code pos} is the fd offset ({@code index << 40 | offset}). */
    public long rw(MemorySegment buf, long pos, boolean write) {
        if (pos < 0) {
            return -EINVAL;
        }
        int index = (int) (pos >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        long off = pos & OFFSET_MASK;
        long count = buf.byteSize();
        switch (index) {
            case VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX -> {
                if (off >= EduConfig.SIZE || off + count > EduConfig.SIZE) {
                    return -EFAULT;
                }
                int prevCmd = cfg.command();
                for (int i = 0; i < count; i++) {
                    if (write) {
                        cfg.write((int) off + i, buf.get(ValueLayout.JAVA_BYTE, i));
                    } else {
                        buf.set(ValueLayout.JAVA_BYTE, i, cfg.get((int) off + i));
                    }
                }
                if (write) {
                    commandChanged(prevCmd, cfg.command());
                }
                return count;
            }
            case VfioUapi.VFIO_PCI_BAR0_REGION_INDEX -> {
                if (off >= BAR0_SIZE) {
                    return -EINVAL;
                }
                count = Math.min(count, BAR0_SIZE - off);
                long done = 0;
                while (done < count) {
                    long a = off + done;
                    // vfio_pci_core_do_io_rw: 8-byte accesses since 6.11 (ioread64 exists on ppc64), then 4, 2, 1
                    long left = count - done;
                    int n = left >= 8 && (a & 7) == 0 ? 8 : left >= 4 && (a & 3) == 0 ? 4 : left >= 2 && (a & 1) == 0 ? 2 : 1;
                    if (!cfg.memoryEnabled()) {
                        return -EIO; // vfio: memory decode disabled
                    }
                    MemorySegment chunk = buf.asSlice(done, n);
                    if (write) {
                        byte[] b = chunk.toArray(ValueLayout.JAVA_BYTE);
                        barWrite(a, b, n);
                    } else {
                        long v = barRead(a, n);
                        for (int i = 0; i < n; i++) {
                            chunk.set(ValueLayout.JAVA_BYTE, i, (byte) (v >>> (8 * (n - 1 - i))));
                        }
                    }
                    done += n;
                }
                return count;
            }
            default -> {
                return -EINVAL; // BAR1-5 and ROM have no resource, no VGA, no device-specific regions
            }
        }
    }

    /** A bus read of {@code size} bytes at BAR0 offset {@code a}: the device value (accesses edu's MemoryRegionOps reject read 0). */
    private long barRead(long a, int size) {
        if (size != 4 && size != 8 || (a & (size - 1)) != 0) {
            return 0; // .valid.min_access_size = 4 / unaligned: unassigned_mem_read
        }
        long v = edu.read(a, size);
        return size == 8 ? v : v & 0xffffffffL;
    }

    /** A bus write of {@code bytes} (bus order) at BAR0 offset {@code a}. */
    private void barWrite(long a, byte[] bytes, int size) {
        if (size != 4 && size != 8 || (a & (size - 1)) != 0) {
            return;
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = (v << 8) | (bytes[i] & 0xff); // big-endian device
        }
        edu.write(a, v, size);
    }

    private void commandChanged(int prev, int now) {
        boolean was = (prev & EduConfig.CMD_INTX_DISABLE) != 0;
        boolean is = (now & EduConfig.CMD_INTX_DISABLE) != 0;
        if (was != is) {
            // vfio virtualizes INTx disable: it masks or unmasks the interrupt
            virqDisabled = is;
            if (is) {
                if (irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
                    intxMasked = true;
                }
            } else if (irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
                unmaskIntx();
            }
        }
    }

    // ---- mmap and MMIO -----------------------------------------------------------------------------

    /** {@code vfio_pci_core_mmap}'s checks (after mmap's own): 0 or -errno. */
    public long mmapCheck(long offset, long length) {
        int index = (int) (offset >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        if (index >= NUM_REGIONS || index >= VfioUapi.VFIO_PCI_ROM_REGION_INDEX || index != 0) {
            return -EINVAL;
        }
        long reqLen = (length + pageSize - 1) & -pageSize;
        long reqStart = offset & OFFSET_MASK;
        if (reqStart + reqLen > BAR0_SIZE) {
            return -EINVAL;
        }
        return 0;
    }

    /** A CPU load from the mapped BAR0, as the little-endian CPU sees it. */
    public long mmioRead(long barOffset, int size) {
        requireDecode(barOffset);
        long v = barRead(barOffset, size);
        return size == 8 ? Long.reverseBytes(v) : Integer.toUnsignedLong(Integer.reverseBytes((int) v));
    }

    /** A CPU store to the mapped BAR0. */
    public void mmioWrite(long barOffset, long cpuValue, int size) {
        requireDecode(barOffset);
        long dev = size == 8 ? Long.reverseBytes(cpuValue) : Integer.toUnsignedLong(Integer.reverseBytes((int) cpuValue));
        if ((barOffset & (size - 1)) != 0) {
            return;
        }
        edu.write(barOffset, dev, size);
    }

    private void requireDecode(long off) {
        if (!cfg.memoryEnabled()) {
            throw new IllegalStateException(String.format("SIGBUS: access to BAR0+0x%x of %s while memory decode is"
                    + " disabled (PCI_COMMAND.MEMORY clear): vfio-pci zaps the mapping and faults the access", off, name));
        }
    }

    // ---- the device's pins ---------------------------------------------------------------------------

    private final class Pins implements EduModel.Pins {
        @Override
        public long dmaRead(long addr, MemorySegment dst) {
            if (!cfg.busMaster()) {
                dst.fill((byte) 0); // bus-master address space disabled: unassigned, reads as 0
                return dst.byteSize();
            }
            return dma.read(addr, dst);
        }

        @Override
        public long dmaWrite(long addr, MemorySegment src) {
            if (!cfg.busMaster()) {
                return src.byteSize();
            }
            return dma.write(addr, src);
        }

        @Override
        public void setIrq(boolean level) {
            boolean rising = level && !intxLine;
            intxLine = level;
            if (rising) {
                deliverIntx();
            }
        }

        @Override
        public void msiNotify() {
            // the MSI message is a DMA write: it needs bus mastering
            if (irqType == VfioUapi.VFIO_PCI_MSI_IRQ_INDEX && cfg.busMaster() && msiTrigger != null) {
                msiTrigger.signal();
            }
        }

        @Override
        public boolean msiEnabled() {
            return irqType == VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;
        }

        @Override
        public QemuAbortException abort(String message) {
            return host.qemuAbort(message);
        }
    }
}
