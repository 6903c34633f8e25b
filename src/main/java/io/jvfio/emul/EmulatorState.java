package io.jvfio.emul;

import java.util.List;
import java.util.Set;

/**
 * An immutable snapshot of an {@link EmulatedBackend}'s platform, for tests: what the real kernel
 * keeps to itself.
 *
 * @param containers every container still alive (its fd open, or a group attached), in open order
 * @param lockedVmBytes the process's {@code locked_vm} (pages times the kernel page size)
 * @param preregRegions the process's pre-registered memory (mm_iommu regions), newest first
 * @param failedDdwGroups IOMMU groups whose PE is on the pSeries failed-DDW list (sticky until a
 *     new {@link EmulatedBackend}, i.e. a reboot)
 * @param devices every device
 * @param kernelBugHit whether a call hit a modelled kernel bug ({@link KernelBugException})
 * @param kernelBugs their messages, in order
 * @param qemuAborted whether QEMU aborted ({@link QemuAbortException})
 * @param openFds the open fd numbers
 * @param mappings anonymous mappings alive (from {@link EmulatedBackend#mmapAnonymous})
 * @param liveMemoryBlocks memory blocks still allocated (mappings, and unmapped memory kept by pins)
 * @param hugePagesFree huge pages left in the guest's pool
 * @param dmesg kernel log lines the model wrote (the real kernel's messages where it prints them)
 */
public record EmulatorState(
        List<Container> containers,
        long lockedVmBytes,
        List<PreregRegion> preregRegions,
        Set<Integer> failedDdwGroups,
        List<Device> devices,
        boolean kernelBugHit,
        List<String> kernelBugs,
        boolean qemuAborted,
        List<Integer> openFds,
        int mappings,
        long liveMemoryBlocks,
        int hugePagesFree,
        List<String> dmesg) {

    /**
     * A snapshot of one VFIO container: the guest kernel's {@code vfio_container} and the SPAPR
     * driver's {@code tce_container} behind it (inspection only; the public API's container is
     * {@link io.jvfio.Container}).
     *
     * @param id the fd it was opened with
     * @param fdOpen whether that fd is still open
     * @param iommu {@code none}, {@code v1} or {@code v2}
     * @param enabled v1: ENABLE done; v2: some REGISTER_MEMORY succeeded
     * @param defaultWindowPending the lazy default window is still to be created
     * @param groups attached group numbers (driver order, list head first)
     * @param windows the DMA windows (slots 0 and 1)
     * @param lockedPages what v1 ENABLE charged
     */
    public record Container(int id, boolean fdOpen, String iommu, boolean enabled, boolean defaultWindowPending,
            List<Integer> groups, List<Window> windows, long lockedPages) {
        /** The window in {@code slot}, or null. */
        public Window window(int slot) {
            for (Window w : windows) {
                if (w.slot() == slot) {
                    return w;
                }
            }
            return null;
        }
    }

    /**
     * A DMA window of a container.
     *
     * @param slot 0 or 1
     * @param start bus address
     * @param size bytes
     * @param pageShift IOMMU page size (log2)
     * @param liobn the hypervisor's window id
     * @param mappedTces non-empty TCEs inside the window
     * @param mappedIovaPages the bus address of each mapped IOMMU page, ascending (only when asked
     *     for with {@link EmulatedBackend#inspect(boolean)}, else empty)
     */
    public record Window(int slot, long start, long size, int pageShift, long liobn, long mappedTces,
            List<Long> mappedIovaPages) {}

    /**
     * A pre-registered region of the process.
     *
     * @param vaddr start
     * @param size bytes
     * @param mappedCount TCEs that point into it
     * @param used the kernel's {@code used} count (registrations; a region UNREGISTERed while
     *     mapped keeps 1 with no container left: it lives until the process exits)
     * @param containers how many containers list it as registered
     * @param pageShift the largest IOMMU page it can back (log2)
     */
    public record PreregRegion(long vaddr, long size, long mappedCount, long used, int containers, long pageShift) {}

    /**
     * A device.
     *
     * @param pciAddress its name
     * @param group its IOMMU group
     * @param openCount open device fds (first-open semantics)
     * @param command the PCI command register
     * @param irqType -1 none, 0 INTx, 1 MSI
     * @param dmaTransfers DMA transfers run
     * @param failedDmaTransfers transfers with at least one failed access (untranslated or bus
     *     mastering off)
     * @param failedDmaBytes bytes of those failed accesses
     * @param lostMsix MSI-X vectors the function fired while its MSI-X table was clear (they reached no
     *     eventfd: the pSeries MSI-X reuse finding of {@code KernelFix.PSERIES_MSI_PARENT_DOMAIN})
     */
    public record Device(String pciAddress, int group, int openCount, int command, int irqType, long dmaTransfers,
            long failedDmaTransfers, long failedDmaBytes, long lostMsix) {}

    /** The container opened as {@code id}, or null. */
    public Container container(int id) {
        for (Container c : containers) {
            if (c.id() == id) {
                return c;
            }
        }
        return null;
    }

    /** The device with this PCI address, or null. */
    public Device device(String pciAddress) {
        for (Device d : devices) {
            if (d.pciAddress().equals(pciAddress)) {
                return d;
            }
        }
        return null;
    }

    /** The pre-registered region starting at {@code vaddr}, or null. */
    public PreregRegion prereg(long vaddr) {
        for (PreregRegion r : preregRegions) {
            if (r.vaddr() == vaddr) {
                return r;
            }
        }
        return null;
    }
}
