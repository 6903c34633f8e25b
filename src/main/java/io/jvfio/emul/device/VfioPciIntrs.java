package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EBADF;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOTTY;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_irq_info;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;

/**
 * A vfio-pci device's interrupts (drivers/vfio/pci/vfio_pci_intrs.c, Linux 6.12): GET_IRQ_INFO,
 * SET_IRQS and the delivery of the function's INTx, MSI and MSI-X vectors to eventfds. The counts
 * come from the function's config space ({@code vfio_pci_get_irq_count}); one interrupt mode at a
 * time ({@code irq_type}); MSI and MSI-X keep one trigger per vector ({@code vfio_msi_set_block}).
 *
 * <p>Not modelled: MSI-X per-vector masking in the table and the PBA (the host kernel owns the
 * table; userspace cannot reach it through vfio), and the ERR/REQ signalling from the host side.
 */
final class VfioPciIntrs {
    static final int IRQ_NONE = -1;
    private static final int NUM_IRQS = VfioUapi.VFIO_PCI_NUM_IRQS;

    private final PciConfig config;
    private final DeviceHost host;

    int irqType = IRQ_NONE;
    final VfioPciIntx intx = new VfioPciIntx(this);
    /** MSI or MSI-X triggers per vector, while that mode is on; null entries have no eventfd. */
    private EventFdFile[] vectors = new EventFdFile[0];
    /** Vectors allocated by {@code vfio_msi_enable} ({@code pci_alloc_irq_vectors}): start + count of the enabling call. */
    private int allocated;
    private final CtxTrigger reqTrigger = new CtxTrigger();
    private final CtxTrigger errTrigger = new CtxTrigger();
    /** The pSeries MSI layer below vfio-pci, and the MSI-X table it has the hypervisor write. */
    final PseriesMsi msi;

    VfioPciIntrs(PciConfig config, DeviceHost host, String kernel) {
        this.config = config;
        this.host = host;
        this.msi = new PseriesMsi(kernel);
    }

    /** {@code vfio_pci_get_irq_count}: from the function's pin and capabilities. */
    int irqCount(int index) {
        return switch (index) {
            case VfioUapi.VFIO_PCI_INTX_IRQ_INDEX -> config.interruptPin() != 0 ? 1 : 0;
            case VfioUapi.VFIO_PCI_MSI_IRQ_INDEX -> config.msiVectors();
            case VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX -> config.msixVectors();
            case VfioUapi.VFIO_PCI_ERR_IRQ_INDEX -> config.pcie() ? 1 : 0;
            case VfioUapi.VFIO_PCI_REQ_IRQ_INDEX -> 1;
            default -> 0;
        };
    }

    /** {@code VFIO_DEVICE_GET_IRQ_INFO}. */
    long getIrqInfo(MemorySegment seg) {
        if (!UserCopy.ok(seg, vfio_irq_info.MINSZ)) {
            return -EFAULT;
        }
        int argsz = vfio_irq_info.argsz.get(seg);
        int index = vfio_irq_info.index.get(seg);
        if (UserCopy.argszBelow(argsz, vfio_irq_info.MINSZ) || Integer.compareUnsigned(index, NUM_IRQS) >= 0) {
            return -EINVAL;
        }
        if (index == VfioUapi.VFIO_PCI_ERR_IRQ_INDEX && !config.pcie()) {
            return -EINVAL; // only for PCI Express devices
        }
        int flags = VfioUapi.VFIO_IRQ_INFO_EVENTFD;
        if (index == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
            flags |= VfioUapi.VFIO_IRQ_INFO_MASKABLE | VfioUapi.VFIO_IRQ_INFO_AUTOMASKED;
        } else {
            flags |= VfioUapi.VFIO_IRQ_INFO_NORESIZE; // MSI-X too: the pSeries MSI domain has no dynamic MSI-X
        }
        vfio_irq_info.flags.set(seg, flags);
        vfio_irq_info.count.set(seg, irqCount(index));
        return 0;
    }

    /** {@code VFIO_DEVICE_SET_IRQS}: {@code vfio_set_irqs_validate_and_prepare}, then {@link #setIrqs}. */
    long setIrqsIoctl(MemorySegment seg) {
        if (!UserCopy.ok(seg, vfio_irq_set.MINSZ)) {
            return -EFAULT;
        }
        int argsz = vfio_irq_set.argsz.get(seg);
        int flags = vfio_irq_set.flags.get(seg);
        int index = vfio_irq_set.index.get(seg);
        int start = vfio_irq_set.start.get(seg);
        int count = vfio_irq_set.count.get(seg);
        int max = Integer.compareUnsigned(index, NUM_IRQS) < 0 ? irqCount(index) : 0;
        // vfio_set_irqs_validate_and_prepare
        int typeMask = VfioUapi.VFIO_IRQ_SET_DATA_TYPE_MASK;
        int actionMask = VfioUapi.VFIO_IRQ_SET_ACTION_TYPE_MASK;
        if (UserCopy.argszBelow(argsz, vfio_irq_set.MINSZ) || Integer.compareUnsigned(index, NUM_IRQS) >= 0
                || Integer.compareUnsigned(count, -1 - start) >= 0 || (flags & ~(typeMask | actionMask)) != 0) {
            return -EINVAL;
        }
        if (Integer.compareUnsigned(start, max) >= 0 || Integer.compareUnsigned(start + count, max) > 0) {
            return -EINVAL;
        }
        long size = switch (flags & typeMask) {
            case VfioUapi.VFIO_IRQ_SET_DATA_NONE -> 0;
            case VfioUapi.VFIO_IRQ_SET_DATA_BOOL -> 1;
            case VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD -> vfio_irq_set.EVENTFD_SIZE;
            default -> -1;
        };
        if (size < 0) {
            return -EINVAL;
        }
        MemorySegment data = null;
        if (size != 0) {
            long need = Integer.toUnsignedLong(count) * size;
            if (Integer.toUnsignedLong(argsz) - vfio_irq_set.MINSZ < need) {
                return -EINVAL;
            }
            if (!UserCopy.ok(seg, vfio_irq_set.MINSZ + need)) {
                return -EFAULT; // memdup_user
            }
            data = seg.asSlice(vfio_irq_set.MINSZ, need);
        }
        return setIrqs(flags, index, start, count, data);
    }

    /** {@code vfio_pci_set_irqs_ioctl}. */
    long setIrqs(int flags, int index, int start, int count, MemorySegment data) {
        int action = flags & VfioUapi.VFIO_IRQ_SET_ACTION_TYPE_MASK;
        switch (index) {
            case VfioUapi.VFIO_PCI_INTX_IRQ_INDEX:
                return switch (action) {
                    case VfioUapi.VFIO_IRQ_SET_ACTION_MASK -> intx.intxMask(start, count, flags, data);
                    case VfioUapi.VFIO_IRQ_SET_ACTION_UNMASK -> intx.intxUnmask(start, count, flags, data);
                    case VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER -> intx.intxTrigger(start, count, flags, data);
                    default -> -ENOTTY;
                };
            case VfioUapi.VFIO_PCI_MSI_IRQ_INDEX, VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX:
                if (action == VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER) {
                    return msiTrigger(index, start, count, flags, data);
                }
                return -ENOTTY;
            case VfioUapi.VFIO_PCI_ERR_IRQ_INDEX:
                if (action == VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER && config.pcie()) {
                    if (start != 0 || Integer.compareUnsigned(count, 1) > 0) {
                        return -EINVAL;
                    }
                    return errTrigger.set(count, flags, data);
                }
                return -ENOTTY; // not PCI Express: no ERR interrupt
            case VfioUapi.VFIO_PCI_REQ_IRQ_INDEX:
                if (action == VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER) {
                    if (start != 0 || Integer.compareUnsigned(count, 1) > 0) {
                        return -EINVAL;
                    }
                    return reqTrigger.set(count, flags, data);
                }
                return -ENOTTY;
            default:
                return -ENOTTY;
        }
    }

    /**
     * {@code vfio_pci_core_request}: the core asks the user for the device, the {@code count}-th time
     * (the kernel re-asks every 10 s while it waits). Returns the kernel's log line, or null.
     */
    String request(int count) {
        if (reqTrigger.trigger != null) {
            reqTrigger.trigger.signal();
            return count % 10 == 0 ? "Relaying device request to user (#" + count + ")" : null;
        }
        return count == 0 ? "No device request channel registered, blocked until released by user" : null;
    }

    static boolean has(int flags, int bit) {
        return (flags & bit) != 0;
    }

    /** {@code eventfd_ctx_fdget}: the eventfd, or an errno in {@code err[0]}. */
    EventFdFile eventfdGet(int fd, long[] err) {
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

    /** {@code vfio_pci_set_msi_trigger} for MSI or MSI-X ({@code index}). */
    private long msiTrigger(int index, int start, int count, int flags, MemorySegment data) {
        if (irqType == index && count == 0 && has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            msiDisable();
            return 0;
        }
        if (!(irqType == index || irqType == IRQ_NONE)) {
            return -EINVAL;
        }
        if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            boolean enabling = irqType != index;
            if (enabling) {
                // vfio_msi_enable: start + count vectors (validated against the capability)
                irqType = index;
                vectors = new EventFdFile[irqCount(index)];
                allocated = start + count;
                msi.enable(index);
            }
            long ret = setBlock(start, count, data);
            if (ret != 0 && enabling) {
                msiDisable();
            }
            return ret;
        }
        if (irqType != index) {
            return -EINVAL;
        }
        for (int i = start; i < start + count; i++) {
            if (vectors[i] == null) {
                continue;
            }
            if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
                vectors[i].signal();
            } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL) && vfio_irq_set.dataBool(data, i - start)) {
                vectors[i].signal();
            }
        }
        return 0;
    }

    /** {@code vfio_msi_set_block}: one eventfd per vector from {@code start}; on an error the vectors set so far are freed. */
    private long setBlock(int start, int count, MemorySegment data) {
        for (int j = 0; j < count; j++) {
            long ret = setVectorSignal(start + j, vfio_irq_set.dataEventfd(data, j));
            if (ret != 0) {
                for (int i = start; i < start + j; i++) {
                    vectors[i] = null;
                }
                return ret;
            }
        }
        return 0;
    }

    /** {@code vfio_msi_set_vector_signal}: frees the vector's trigger, then takes {@code fd} (unless negative). */
    private long setVectorSignal(int vector, int fd) {
        vectors[vector] = null;
        if (fd < 0) {
            return 0;
        }
        if (vector >= allocated) {
            return -EINVAL; // vfio_msi_alloc_irq: not allocated at enable, and no dynamic MSI-X
        }
        long[] e = new long[1];
        EventFdFile trigger = eventfdGet(fd, e);
        if (trigger == null) {
            return e[0];
        }
        vectors[vector] = trigger;
        return 0;
    }

    /** {@code vfio_msi_disable}. */
    private void msiDisable() {
        msi.disable();
        vectors = new EventFdFile[0];
        allocated = 0;
        irqType = IRQ_NONE;
    }

    /** The function fired MSI ({@code msix} false) or MSI-X vector {@code vector}; bus mastering was checked. */
    void deliverMsi(boolean msix, int vector) {
        int index = msix ? VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX : VfioUapi.VFIO_PCI_MSI_IRQ_INDEX;
        if (msix && !msi.msixDelivers()) {
            return;
        }
        if (irqType == index && vector >= 0 && vector < vectors.length && vectors[vector] != null) {
            vectors[vector].signal();
        }
    }

    /** Everything off at the last close: the active mode disabled, REQ and ERR triggers dropped. */
    void release() {
        if (irqType != IRQ_NONE) {
            setIrqs(VfioUapi.VFIO_IRQ_SET_DATA_NONE | VfioUapi.VFIO_IRQ_SET_ACTION_TRIGGER, irqType, 0, 0, null);
        }
        reqTrigger.trigger = null;
        errTrigger.trigger = null;
        intx.release();
    }

    /** A single eventfd trigger (REQ, and ERR on PCI Express). */
    private final class CtxTrigger {
        EventFdFile trigger;

        /** {@code vfio_pci_set_ctx_trigger_single}. */
        long set(int count, int flags, MemorySegment data) {
            if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
                if (trigger != null) {
                    if (count != 0) {
                        trigger.signal();
                    } else {
                        trigger = null;
                    }
                }
                return 0;
            } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
                if (count == 0) {
                    return -EINVAL;
                }
                if (vfio_irq_set.dataBool(data, 0) && trigger != null) {
                    trigger.signal();
                }
                return 0;
            } else if (has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
                if (count == 0) {
                    return -EINVAL;
                }
                int fd = vfio_irq_set.dataEventfd(data, 0);
                if (fd == -1) {
                    trigger = null;
                } else if (fd >= 0) {
                    long[] err = new long[1];
                    EventFdFile e = eventfdGet(fd, err);
                    if (e == null) {
                        return err[0];
                    }
                    trigger = e;
                }
                return 0;
            }
            return -EINVAL;
        }
    }
}
