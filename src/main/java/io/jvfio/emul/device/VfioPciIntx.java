package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOTTY;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.emul.fs.EventFdFile;
import java.lang.foreign.MemorySegment;

/**
 * The INTx part of a vfio-pci device's interrupts ({@code vfio_intx_*} and the virqfd unmask of
 * drivers/vfio/pci/vfio_pci_intrs.c, Linux 6.12): the level line, automasking, mask and unmask,
 * and PCI_COMMAND's virtualized INTx disable. {@link VfioPciIntrs} owns the interrupt mode.
 */
final class VfioPciIntx {
    private final VfioPciIntrs intrs;
    private EventFdFile intxTrigger;
    boolean intxMasked;
    private boolean intxLine;
    private boolean virqDisabled;
    private EventFdFile intxUnmaskFd;
    private final Runnable intxUnmaskHook = this::virqfdUnmask;

    VfioPciIntx(VfioPciIntrs intrs) {
        this.intrs = intrs;
    }

    long intxTrigger(int start, int count, int flags, MemorySegment data) {
        if (intrs.irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX && count == 0 && VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            intxDisable();
            return 0;
        }
        if (!(intrs.irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || intrs.irqType == VfioPciIntrs.IRQ_NONE) || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            int fd = vfio_irq_set.dataEventfd(data, 0);
            EventFdFile trigger = null;
            if (fd >= 0) {
                long[] err = new long[1];
                trigger = intrs.eventfdGet(fd, err);
                if (trigger == null) {
                    return err[0];
                }
            }
            if (intrs.irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
                intxTrigger = trigger; // vfio_intx_set_signal
            } else {
                // vfio_intx_enable: request_irq on the (level) line; a pending level fires at once
                intrs.irqType = VfioUapi.VFIO_PCI_INTX_IRQ_INDEX;
                intxTrigger = trigger;
                intxMasked = virqDisabled;
                if (intxLine) {
                    deliverIntx();
                }
            }
            return 0;
        }
        if (intrs.irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
            return -EINVAL;
        }
        if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            sendIntx();
        } else if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL) && vfio_irq_set.dataBool(data, 0)) {
            sendIntx();
        }
        return 0;
    }

    void intxDisable() {
        if (intxUnmaskFd != null) {
            intxUnmaskFd.removeWriteListener(intxUnmaskHook);
            intxUnmaskFd = null;
        }
        intxTrigger = null;
        intxMasked = false;
        intrs.irqType = VfioPciIntrs.IRQ_NONE;
    }

    long intxMask(int start, int count, int flags, MemorySegment data) {
        if (intrs.irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            intxMasked = true;
        } else if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
            if (vfio_irq_set.dataBool(data, 0)) {
                intxMasked = true;
            }
        } else if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            return -ENOTTY; /* XXX implement me */
        }
        return 0;
    }

    long intxUnmask(int start, int count, int flags, MemorySegment data) {
        if (intrs.irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1) {
            return -EINVAL;
        }
        if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_NONE)) {
            unmaskIntx();
        } else if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_BOOL)) {
            if (vfio_irq_set.dataBool(data, 0)) {
                unmaskIntx();
            }
        } else if (VfioPciIntrs.has(flags, VfioUapi.VFIO_IRQ_SET_DATA_EVENTFD)) {
            int fd = vfio_irq_set.dataEventfd(data, 0);
            if (fd >= 0) {
                long[] err = new long[1];
                EventFdFile e = intrs.eventfdGet(fd, err);
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
    void unmaskIntx() {
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
    void deliverIntx() {
        if (intrs.irqType != VfioUapi.VFIO_PCI_INTX_IRQ_INDEX || intxMasked) {
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

    /** vfio virtualizes INTx disable in the command register: it masks or unmasks the interrupt. */
    void intxDisableChanged(boolean disabled) {
        virqDisabled = disabled;
        if (disabled) {
            if (intrs.irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
                intxMasked = true;
            }
        } else if (intrs.irqType == VfioUapi.VFIO_PCI_INTX_IRQ_INDEX) {
            unmaskIntx();
        }
    }

    /** The function's INTx line changed; a rising edge is delivered. */
    void setIntxLine(boolean level) {
        boolean rising = level && !intxLine;
        intxLine = level;
        if (rising) {
            deliverIntx();
        }
    }

    /** The last close: INTx disable is no longer virtualized. */
    void release() {
        virqDisabled = false;
    }
}
