package io.jvfio.driver.nvme;

import io.jvfio.EventFd;
import io.jvfio.Sizes;
import io.jvfio.abi.VfioUapi;
import io.jvfio.driver.nvme.NvmeException.Kind;
import io.jvfio.toolkit.DmaMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Controller initialisation (NVMe 1.4 section 7.6.1) and the disable both it and the teardown use:
 * CAP checked, CC.EN cleared within CAP.TO, MPS chosen, the admin queue set up, CC.EN set.
 */
final class NvmeBringUp {
    private NvmeBringUp() {
    }

    /** Disable, admin queue, enable: NVMe 1.4 section 7.6.1 steps 1-7. */
    static void bringUp(NvmeResources r) throws IOException {
        r.cap = new NvmeRegisters.Cap(r.regs.read64(NvmeRegisters.CAP));
        if (r.cap.raw() == -1L) {
            throw new NvmeException(Kind.UNSUPPORTED, "read CAP", -1, null,
                    "BAR0 reads all ones: the device is gone, or its memory decoding is off");
        }
        if (!r.cap.nvmCommandSet()) {
            throw new NvmeException(Kind.UNSUPPORTED, "read CAP", -1, null,
                    String.format("CAP 0x%016x: the controller does not support the NVM command set", r.cap.raw()));
        }
        r.timeoutMillis = Math.max(r.cap.timeoutMillis(), 500);
        disable(r);
        chooseMemoryPageSize(r);
        int entries = Math.min(NvmeController.ADMIN_ENTRIES, r.cap.maxQueueEntries());
        long sqBytes = NvmeController.roundUp(entries * (long) NvmeQueue.SQE_BYTES, r.mps);
        long cqBytes = NvmeController.roundUp(entries * (long) NvmeQueue.CQE_BYTES, r.mps);
        long dataBytes = NvmeController.roundUp(IdentifyController.SIZE, r.mps);
        DmaMemory m = r.allocate(sqBytes + cqBytes + dataBytes);
        long iova = r.iova(m);
        MemorySegment s = m.segment();
        r.adminData = s.asSlice(sqBytes + cqBytes, dataBytes);
        r.adminDataIova = iova + sqBytes + cqBytes;
        EventFd irq = null;
        if (r.options.completion() == NvmeOptions.Completion.MSIX) {
            irq = routeMsix(r);
        }
        r.admin = new NvmeQueue(0, entries, s.asSlice(0, sqBytes), s.asSlice(sqBytes, cqBytes), r.regs,
                r.cap.doorbellStride(), irq, r.options.timeout());
        r.regs.write32(NvmeRegisters.AQA, ((entries - 1) << 16) | (entries - 1));
        r.regs.write64(NvmeRegisters.ASQ, iova);
        r.regs.write64(NvmeRegisters.ACQ, iova + sqBytes);
        int mpsField = Long.numberOfTrailingZeros(r.mps) - 12;
        r.regs.write32(NvmeRegisters.CC, NvmeRegisters.CC_IOSQES | NvmeRegisters.CC_IOCQES | (mpsField << 7));
        r.regs.write32(NvmeRegisters.CC, r.regs.read32(NvmeRegisters.CC) | NvmeRegisters.CC_EN);
        r.enabled = true;
        awaitReady(r, true, "enable (CC.EN=1)");
    }

    /** How long the first admin completion's MSI-X signal may lag the completion the driver found. */
    static final Duration MSIX_GRACE = Duration.ofSeconds(1);

    /**
     * After the first admin command with MSI-X: its vector must have reached the eventfd. Otherwise
     * every wait would sit out its slice and find the completion by polling, 20 ms a command, unnoticed.
     */
    static void checkMsixDelivered(NvmeResources r) throws IOException {
        if (!r.admin.interrupts() || r.admin.vectorDelivered(MSIX_GRACE)) {
            return;
        }
        throw new NvmeException(Kind.UNSUPPORTED, "MSI-X setup", 0, null, String.format("IDENTIFY completed, but MSI-X "
                + "vector 0 never reached its eventfd within %d ms. Known cause: on pSeries guests since Linux 6.18 "
                + "(daaa574aba6f, per-device MSI domains) only a device's first MSI-X enable per boot delivers, as "
                + "vfio-pci's function reset at every later open clears the MSI-X table the hypervisor wrote "
                + "(docs/fidelity.md, MSI-X after a reopen); use NvmeOptions.Completion.POLLED", MSIX_GRACE.toMillis()));
    }

    /** CC.EN=0 and CSTS.RDY=0 within CAP.TO. */
    static void disable(NvmeResources r) throws NvmeException {
        int cc = r.regs.read32(NvmeRegisters.CC);
        if ((cc & NvmeRegisters.CC_EN) != 0) {
            r.regs.write32(NvmeRegisters.CC, cc & ~NvmeRegisters.CC_EN);
        }
        awaitReady(r, false, "disable (CC.EN=0)");
        r.enabled = false;
    }

    private static void awaitReady(NvmeResources r, boolean ready, String what) throws NvmeException {
        long deadline = System.nanoTime() + r.timeoutMillis * 1_000_000L;
        while (true) {
            int csts = r.regs.read32(NvmeRegisters.CSTS);
            if (csts == -1) {
                throw new NvmeException(Kind.NOT_READY, what, -1, null,
                        "CSTS reads 0xffffffff: the device is gone or not responding; " + r.regs.snapshot());
            }
            if (ready && (csts & NvmeRegisters.CSTS_CFS) != 0) {
                throw new NvmeException(Kind.FATAL, what, -1, null, r.regs.snapshot());
            }
            if (((csts & NvmeRegisters.CSTS_RDY) != 0) == ready) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new NvmeException(Kind.NOT_READY, what, -1, null, String.format(
                        "CSTS.RDY did not become %d within CAP.TO = %d ms; read %s", ready ? 1 : 0,
                        r.timeoutMillis, r.regs.snapshot()));
            }
            Thread.onSpinWait();
        }
    }

    /**
     * MPS: the window's TCE page size, clamped to what the controller supports. Every IOVA the
     * session hands out is TCE-page aligned, so a memory page no larger than the TCE page is
     * aligned too, and the largest such page needs the fewest PRP entries.
     */
    private static void chooseMemoryPageSize(NvmeResources r) throws NvmeException {
        long tce = r.options.window32() ? r.session.window32().map(w -> w.pageSize()).orElse(r.session.window().pageSize())
                : r.session.window().pageSize();
        if (tce < r.cap.minPageSize()) {
            throw new NvmeException(Kind.UNSUPPORTED, "choose memory page size", -1, null, String.format(
                    "the window's TCE page (%s) is smaller than the controller's smallest memory page "
                            + "(CAP.MPSMIN %s): IOVAs would not be page aligned; plan larger TCE pages",
                    Sizes.human(tce), Sizes.human(r.cap.minPageSize())));
        }
        r.mps = Math.min(tce, r.cap.maxPageSize());
        r.mpsReason = String.format("TCE page %s, controller supports %s..%s: MPS %s", Sizes.human(tce),
                Sizes.human(r.cap.minPageSize()), Sizes.human(r.cap.maxPageSize()), Sizes.human(r.mps));
    }

    /** One eventfd per MSI-X vector: vector 0 for the admin queue, one per I/O queue pair while they last. */
    private static EventFd routeMsix(NvmeResources r) throws IOException {
        int count = r.device.irqInfo(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX).count();
        if (count == 0) {
            throw new NvmeException(Kind.UNSUPPORTED, "MSI-X setup", -1, null,
                    "the device offers no MSI-X vectors (VFIO_DEVICE_GET_IRQ_INFO): use polled completion");
        }
        int n = Math.min(count, r.options.maxQueuePairs() + 1);
        for (int i = 0; i < n; i++) {
            r.eventfds.add(r.session.vfio().eventfd());
        }
        r.device.setIrqEventfds(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX, r.eventfds);
        return r.eventfds.getFirst();
    }

}
