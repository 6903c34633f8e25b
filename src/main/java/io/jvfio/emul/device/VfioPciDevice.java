package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOTTY;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_device_feature;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_info_cap_header;
import io.jvfio.abi.vfio_pci_hot_reset;
import io.jvfio.abi.vfio_pci_hot_reset_info;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.emul.QemuAbortException;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;

/**
 * A PCI function bound to vfio-pci (drivers/vfio/pci/vfio_pci_core.c as in Linux 6.12): open and
 * close, the device-fd ioctls, the region layout and mmap checks. Interrupts are
 * {@link VfioPciIntrs} (vfio_pci_intrs.c), BAR access {@link VfioPciRdwr} (vfio_pci_rdwr.c), the
 * config region {@link VfioPciConfigRegion} (vfio_pci_config.c). The function behind it is any
 * {@link PciFunction}; everything vfio-pci reports about it comes from its {@link PciConfig}.
 * Callers hold the platform lock.
 */
public final class VfioPciDevice {
    public static final int IRQ_NONE = VfioPciIntrs.IRQ_NONE;
    static final int NUM_REGIONS = VfioUapi.VFIO_PCI_NUM_REGIONS;
    static final int NUM_IRQS = VfioUapi.VFIO_PCI_NUM_IRQS;

    private final String name;
    private final int group;
    private final DeviceHost host;
    private final DmaPort dma;
    private final long pageSize;
    private final PciFunction function;
    private final PciConfig cfg;
    private final VfioPciIntrs intrs;
    private final VfioPciRdwr rdwr;
    private final VfioPciConfigRegion configRegion;

    private int openCount;
    private boolean removing;

    /**
     * @param name the vfio device name ({@code DDDD:BB:DD.F})
     * @param dma the PHB's DMA path the function's bus-master accesses take
     * @param kernel the guest kernel's release (what its pSeries MSI layer does: {@link PseriesMsi})
     */
    public VfioPciDevice(String name, int group, long pageSize, PciFunction function, DeviceHost host, DmaPort dma,
            String kernel) {
        this.name = name;
        this.group = group;
        this.host = host;
        this.dma = dma;
        this.pageSize = pageSize;
        this.function = function;
        this.cfg = function.config();
        this.intrs = new VfioPciIntrs(cfg, host, kernel);
        this.rdwr = new VfioPciRdwr(name, function, this);
        this.configRegion = new VfioPciConfigRegion(cfg, intrs);
        function.attach(new Bus());
    }

    public String name() {
        return name;
    }

    public int group() {
        return group;
    }

    /** The PCI function behind vfio-pci. */
    public PciFunction function() {
        return function;
    }

    public PciConfig config() {
        return cfg;
    }

    public int openCount() {
        return openCount;
    }

    /** The active interrupt mode ({@code VFIO_PCI_*_IRQ_INDEX}), or {@link #IRQ_NONE}. */
    public int irqType() {
        return intrs.irqType;
    }

    public boolean intxMasked() {
        return intrs.intx.intxMasked;
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

    /**
     * {@code vfio_df_open}: the first open enables the device ({@code vfio_pci_core_enable}: a function
     * reset where the function has one) and saves its config state.
     */
    public void open() {
        if (openCount++ == 0) {
            functionReset();
            cfg.save();
        }
    }

    /**
     * The device is being removed (DLPAR, unbind): {@code vfio_unregister_group_dev} asks its user through
     * the request interrupt while it is open, and completes when the last fd closes.
     *
     * @return the kernel's log line ({@code vfio-pci ADDR: ...}), or null
     */
    public String requestRemoval() {
        removing = true;
        String line = openCount > 0 ? intrs.request(0) : null;
        return line == null ? null : "vfio-pci " + name + ": " + line;
    }

    /** Whether a removal waits for (or went with) this device's last close. */
    public boolean removing() {
        return removing;
    }

    /** Whether the device was removed: nobody holds it any more and it has left its group. */
    public boolean gone() {
        return removing && openCount == 0;
    }

    /** {@code vfio_df_close}: the last close disables interrupts and restores the config (bus master off). */
    public void close() {
        if (--openCount > 0) {
            return;
        }
        intrs.release();
        rdwr.release();
        functionReset(); // vfio_pci_core_disable
        cfg.restoreAndDisable();
    }

    /** {@code pci_try_reset_function} where the function has a reset; nothing otherwise (edu). */
    private void functionReset() {
        if (function.resettable()) {
            function.functionReset();
            intrs.msi.functionReset();
        }
    }

    /** MSI-X vectors the function fired that reached no eventfd because its MSI-X table was clear ({@link PseriesMsi}). */
    public long lostMsix() {
        return intrs.msi.lost();
    }

    // ---- ioctls ---------------------------------------------------------------------------------------

    /** {@code vfio_device_fops_unl_ioctl} then {@code vfio_pci_core_ioctl}; {@code cmd} decoded for a device fd. */
    public long ioctl(VfioIoctl cmd, MemorySegment seg) {
        if (cmd == null) {
            return -ENOTTY;
        }
        return switch (cmd) {
            case VFIO_DEVICE_GET_INFO -> getInfo(seg);
            case VFIO_DEVICE_GET_REGION_INFO -> getRegionInfo(seg);
            case VFIO_DEVICE_GET_IRQ_INFO -> intrs.getIrqInfo(seg);
            case VFIO_DEVICE_SET_IRQS -> intrs.setIrqsIoctl(seg);
            case VFIO_DEVICE_RESET -> reset();
            case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO -> hotResetInfo(seg);
            case VFIO_DEVICE_PCI_HOT_RESET -> hotReset(seg);
            case VFIO_DEVICE_IOEVENTFD -> rdwr.ioeventfd(seg);
            case VFIO_DEVICE_FEATURE -> feature(seg);
            // BASE+18 (VFIO_DEVICE_BIND_IOMMUFD) needs CONFIG_VFIO_DEVICE_CDEV: ENOTTY, as every other number
            default -> -ENOTTY;
        };
    }

    /** VFIO_DEVICE_RESET: EINVAL without a reset method (edu: observed flags 0x2, no RESET). */
    private long reset() {
        if (!function.resettable()) {
            return -EINVAL;
        }
        functionReset();
        return 0;
    }

    private long getInfo(MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_device_info.argsz, vfio_device_info.MINSZ);
        if (bad != 0) {
            return bad;
        }
        int argsz = vfio_device_info.argsz.get(seg);
        long minsz = Math.min(Integer.toUnsignedLong(argsz), vfio_device_info.MINSZ_CAPS);
        if (!UserCopy.ok(seg, minsz)) {
            return -EFAULT;
        }
        vfio_device_info.flags.set(seg, VfioUapi.VFIO_DEVICE_FLAGS_PCI
                | (function.resettable() ? VfioUapi.VFIO_DEVICE_FLAGS_RESET : 0));
        vfio_device_info.num_regions.set(seg, NUM_REGIONS);
        vfio_device_info.num_irqs.set(seg, NUM_IRQS);
        if (minsz >= vfio_device_info.MINSZ_CAPS) {
            vfio_device_info.cap_offset.set(seg, 0); // info was zero-initialised
        }
        return 0;
    }

    /** {@code VFIO_DEVICE_GET_REGION_INFO}: every BAR the function has is a read/write/mmap memory BAR. */
    private long getRegionInfo(MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_region_info.argsz, vfio_region_info.MINSZ);
        if (bad != 0) {
            return bad;
        }
        int index = vfio_region_info.index.get(seg);
        long size;
        int flags;
        if (index == VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX) {
            size = cfg.size();
            flags = VfioUapi.VFIO_REGION_INFO_FLAG_READ | VfioUapi.VFIO_REGION_INFO_FLAG_WRITE;
        } else if (index >= VfioUapi.VFIO_PCI_BAR0_REGION_INDEX && index <= VfioUapi.VFIO_PCI_BAR5_REGION_INDEX
                && cfg.barSize(index) != 0) {
            size = cfg.barSize(index);
            flags = VfioUapi.VFIO_REGION_INFO_FLAG_READ | VfioUapi.VFIO_REGION_INFO_FLAG_WRITE
                    | VfioUapi.VFIO_REGION_INFO_FLAG_MMAP;
        } else if (index >= 0 && index <= VfioUapi.VFIO_PCI_ROM_REGION_INDEX) {
            size = 0; // a BAR the function lacks, no option ROM
            flags = 0;
        } else {
            return -EINVAL; // VGA (no VGA), or beyond the regions
        }
        if (index == cfg.msixTableBar() && size != 0) {
            // msix_mmappable_cap: the chain holds one header; too small an argsz gets the size it needs
            flags |= VfioUapi.VFIO_REGION_INFO_FLAG_CAPS;
            long need = vfio_region_info.SIZE + vfio_info_cap_header.SIZE;
            if (Integer.toUnsignedLong(vfio_region_info.argsz.get(seg)) < need) {
                vfio_region_info.argsz.set(seg, (int) need);
                vfio_region_info.cap_offset.set(seg, 0);
            } else {
                if (!UserCopy.ok(seg, need)) {
                    return -EFAULT;
                }
                vfio_info_cap_header.fill(seg.asSlice(vfio_region_info.SIZE), VfioUapi.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
                        1, 0);
                vfio_region_info.cap_offset.set(seg, (int) vfio_region_info.SIZE);
            }
        }
        vfio_region_info.flags.set(seg, flags);
        vfio_region_info.size.set(seg, size);
        vfio_region_info.offset.set(seg, VfioUapi.VFIO_PCI_INDEX_TO_OFFSET(index));
        return 0;
    }

    private long hotResetInfo(MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_pci_hot_reset_info.argsz, vfio_pci_hot_reset_info.MINSZ);
        if (bad != 0) {
            return bad;
        }
        return -ENODEV; // no slot or bus reset for a device on the PHB's root bus (to check)
    }

    private long hotReset(MemorySegment seg) {
        long bad = UserCopy.copyIn(seg, vfio_pci_hot_reset.argsz, vfio_pci_hot_reset.MINSZ);
        if (bad != 0) {
            return bad;
        }
        if (vfio_pci_hot_reset.flags.get(seg) != 0) {
            return -EINVAL;
        }
        return -ENODEV; // (to check)
    }

    private long feature(MemorySegment seg) {
        if (!UserCopy.ok(seg, vfio_device_feature.MINSZ)) {
            return -EFAULT;
        }
        int argsz = vfio_device_feature.argsz.get(seg);
        int flags = vfio_device_feature.flags.get(seg);
        int get = VfioUapi.VFIO_DEVICE_FEATURE_GET;
        int set = VfioUapi.VFIO_DEVICE_FEATURE_SET;
        int probe = VfioUapi.VFIO_DEVICE_FEATURE_PROBE;
        if (UserCopy.argszBelow(argsz, vfio_device_feature.MINSZ)) {
            return -EINVAL;
        }
        if ((flags & ~(VfioUapi.VFIO_DEVICE_FEATURE_MASK | get | set | probe)) != 0) {
            return -EINVAL;
        }
        if ((flags & probe) == 0 && (flags & set) != 0 && (flags & get) != 0) {
            return -EINVAL;
        }
        int feature = flags & VfioUapi.VFIO_DEVICE_FEATURE_MASK;
        if (feature >= VfioUapi.VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY && feature <= VfioUapi.VFIO_DEVICE_FEATURE_LOW_POWER_EXIT) {
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

    /** {@code eventfd_ctx_fdget}: the eventfd, or an errno in {@code err[0]}. */
    EventFdFile eventfdGet(int fd, long[] err) {
        return intrs.eventfdGet(fd, err);
    }

    // ---- regions -----------------------------------------------------------------------------------

    /** {@code vfio_pci_rw}: bytes transferred, or -errno. {@code pos} is the fd offset ({@code index << 40 | offset}). */
    public long rw(MemorySegment buf, long pos, boolean write) {
        if (pos < 0) {
            return -EINVAL;
        }
        int index = (int) (pos >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        long off = pos & VfioPciRdwr.OFFSET_MASK;
        if (index == VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX) {
            return configRegion.rw(buf, off, write);
        }
        if (index >= VfioUapi.VFIO_PCI_BAR0_REGION_INDEX && index <= VfioUapi.VFIO_PCI_BAR5_REGION_INDEX
                && cfg.barSize(index) != 0) {
            return rdwr.barRw(index, buf, off, write);
        }
        return -EINVAL; // BARs without a resource, the ROM, no VGA, no device-specific regions
    }

    /** {@code vfio_pci_core_mmap}'s checks (after mmap's own): 0 or -errno. */
    public long mmapCheck(long offset, long length) {
        int index = (int) (offset >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT);
        if (index >= NUM_REGIONS || index >= VfioUapi.VFIO_PCI_ROM_REGION_INDEX || cfg.barSize(index) == 0) {
            return -EINVAL; // !bar_mmap_supported
        }
        long reqLen = (length + pageSize - 1) & -pageSize;
        long reqStart = offset & VfioPciRdwr.OFFSET_MASK;
        long physLen = (cfg.barSize(index) + pageSize - 1) & -pageSize; // a BAR below a page maps its whole page
        if (reqStart + reqLen > physLen) {
            return -EINVAL;
        }
        return 0;
    }

    /** A CPU load from BAR {@code bar}'s mapping, as the little-endian CPU sees it. */
    public long mmioRead(int bar, long barOffset, int size) {
        return rdwr.mmioRead(bar, barOffset, size);
    }

    /** A CPU store to BAR {@code bar}'s mapping. */
    public void mmioWrite(int bar, long barOffset, long cpuValue, int size) {
        rdwr.mmioWrite(bar, barOffset, cpuValue, size);
    }

    // ---- the function's bus ----------------------------------------------------------------------------

    /** What the function reaches: DMA and MSI need bus mastering, interrupts go to {@link VfioPciIntrs}. */
    private final class Bus implements PciBus {
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
        public void setIntx(boolean level) {
            intrs.intx.setIntxLine(level);
        }

        @Override
        public boolean msiEnabled() {
            return intrs.irqType == VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;
        }

        @Override
        public void msiNotify(int vector) {
            // the MSI message is a DMA write: it needs bus mastering
            if (cfg.busMaster()) {
                intrs.deliverMsi(false, vector);
            }
        }

        @Override
        public boolean msixEnabled() {
            return intrs.irqType == VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX;
        }

        @Override
        public void msixNotify(int vector) {
            if (cfg.busMaster()) {
                intrs.deliverMsi(true, vector);
            }
        }

        @Override
        public QemuAbortException abort(String message) {
            return host.qemuAbort(message);
        }
    }
}
