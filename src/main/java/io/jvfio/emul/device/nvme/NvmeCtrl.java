package io.jvfio.emul.device.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;

import io.jvfio.emul.device.DmaPort;
import io.jvfio.emul.device.nvme.NvmeQueue.Cq;
import io.jvfio.emul.device.nvme.NvmeQueue.Request;
import io.jvfio.emul.device.nvme.NvmeQueue.Sq;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * QEMU 7.2's NVMe controller (hw/nvme/ctrl.c, {@code -device nvme,drive=...,serial=...}) behind
 * BAR0: the register file, enable/disable/shutdown, doorbells, command fetch and completion posting
 * with the phase tag, MSI-X per completion queue, and asynchronous events for doorbell misuse.
 *
 * <p>Registers are little-endian: {@link #mmioRead}/{@link #mmioWrite} take the numeric value of
 * a little-endian access of 1, 2, 4 or 8 bytes at a BAR0 offset below {@link #MMIO_SIZE} (the
 * MSI-X table and PBA above it belong to the PCI layer, see {@link NvmePciIdentity}).
 *
 * <p>Timing is collapsed as edu's is: QEMU runs command fetch and completion posting in bottom
 * halves after the doorbell write returns; here they run, in the same order, before the doorbell
 * write returns, so a completion entry is in memory once the write is done. Block I/O completes
 * synchronously. Methods are synchronized: one controller, one lock (QEMU's BQL).
 */
public final class NvmeCtrl {
    /** Size of the register and doorbell region (QEMU's "nvme" iomem: up to the MSI-X table). */
    public static final int MMIO_SIZE = NvmePciIdentity.MSIX_TABLE_OFFSET;
    static final int MAX_IOQPAIRS = 64;
    static final int MSIX_QSIZE = NvmePciIdentity.MSIX_VECTORS;
    static final int MDTS = 7;
    static final int MQES = 0x7ff;

    final DmaPort dma;
    final NvmeInterrupts irq;
    final NvmeNamespace ns;
    final String serial;
    private final NvmeAdmin admin;
    private final NvmeIo io;

    // the register file (NvmeBar)
    private final long cap;
    private int intms;
    private int cc;
    private int csts;
    private int aqa;
    private long asq;
    private long acq;

    final Sq[] sqs = new Sq[MAX_IOQPAIRS + 1];
    final Cq[] cqs = new Cq[MAX_IOQPAIRS + 1];
    NvmePrp prp;
    int pageBits;
    long pageSize;
    boolean qsCreated;

    final NvmeAer aer = new NvmeAer(this);

    private final ArrayDeque<Object> bottomHalves = new ArrayDeque<>();
    private boolean inBottomHalves;
    private long prpFailedBytes;

    /**
     * A controller with namespace 1 on {@code ns}, reset as after realize.
     *
     * @param dma the function's bus-master DMA (through the PHB's TCE windows)
     * @param irq the function's MSI-X
     * @param ns namespace 1 (the controller does not close it)
     * @param serial the {@code serial=} property: Identify's SN (20 characters at most)
     */
    public NvmeCtrl(DmaPort dma, NvmeInterrupts irq, NvmeNamespace ns, String serial) {
        if (serial.length() > 20) {
            throw new IllegalArgumentException("NVMe serial '" + serial + "' is longer than the 20 characters of Identify SN");
        }
        this.dma = dma;
        this.irq = irq;
        this.ns = ns;
        this.serial = serial;
        this.admin = new NvmeAdmin(this);
        this.io = new NvmeIo(this);
        long c = MQES;
        c |= 1L << CAP_CQR_SHIFT;
        c |= 0xfL << CAP_TO_SHIFT; // 7.5 s
        c |= (long) (CAP_CSS_NVM | CAP_CSS_CSI_SUPP | CAP_CSS_ADMIN_ONLY) << CAP_CSS_SHIFT;
        c |= 4L << CAP_MPSMAX_SHIFT; // MPSMIN 0: pages of 4 KiB to 64 KiB
        this.cap = c;
    }

    /** nvme_mmio_read: registers below 0x1000; beyond the last register (the doorbells) reads 0. */
    public synchronized long mmioRead(long addr, int size) {
        checkAccess(addr, size);
        if (addr > BAR_REGS_SIZE - size) {
            return 0;
        }
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | regByte((int) addr + i);
        }
        return v;
    }

    /** nvme_mmio_write: a register or a doorbell, then the work the write scheduled. */
    public synchronized void mmioWrite(long addr, long data, int size) {
        checkAccess(addr, size);
        if (addr < BAR_REGS_SIZE) {
            writeBar((int) addr, data, size);
        } else {
            processDb((int) addr, (int) data);
        }
        runBottomHalves();
    }

    /** Function-level reset (nvme_pci_reset: FLR, VFIO_DEVICE_RESET, system reset). */
    public synchronized void reset() {
        ctrlReset();
    }

    /** CSTS as the host would read it. */
    public synchronized int csts() {
        return csts;
    }

    /** Bytes of data transfers that hit untranslatable bus addresses (zeros read, writes dropped). */
    public synchronized long dmaFailedBytes() {
        return prpFailedBytes + (prp == null ? 0 : prp.failedBytes);
    }

    private static void checkAccess(long addr, int size) {
        if (size != 1 && size != 2 && size != 4 && size != 8) {
            throw new IllegalArgumentException("NVMe BAR0 access of " + size + " bytes: only 1, 2, 4 or 8");
        }
        if (addr < 0 || addr + size > MMIO_SIZE) {
            throw new IndexOutOfBoundsException(String.format(
                    "NVMe BAR0 access at 0x%x+%d outside the controller's registers [0, 0x%x)", addr, size, MMIO_SIZE));
        }
    }

    private int regByte(int off) {
        long v;
        int base;
        if (off < 0x08) {
            v = cap;
            base = 0;
        } else if (off >= REG_ASQ && off < REG_ASQ + 8) {
            v = asq;
            base = REG_ASQ;
        } else if (off >= REG_ACQ && off < REG_ACQ + 8) {
            v = acq;
            base = REG_ACQ;
        } else {
            base = off & ~3;
            v = switch (base) {
                case REG_VS -> SPEC_VER;
                case REG_INTMS, REG_INTMC -> intms; // intmc mirrors intms
                case REG_CC -> cc;
                case REG_CSTS -> csts;
                case REG_AQA -> aqa;
                default -> 0;
            };
            v &= 0xffffffffL;
        }
        return (int) (v >>> (8 * (off - base))) & 0xff;
    }

    /** nvme_write_bar. Misaligned and short writes act as QEMU's do: at the offset given, as 32 bits. */
    private void writeBar(int offset, long data, int size) {
        int d = (int) data;
        switch (offset) {
            case REG_INTMS -> intms |= d; // no INTx: nothing to re-evaluate
            case REG_INTMC -> intms &= ~d;
            case REG_CC -> writeCc(d);
            case REG_AQA -> aqa = d;
            case REG_ASQ -> asq = size == 8 ? data : (asq & ~0xffffffffL) | (data & 0xffffffffL);
            case REG_ASQ + 4 -> asq = (asq & 0xffffffffL) | (data << 32);
            case REG_ACQ -> acq = size == 8 ? data : (acq & ~0xffffffffL) | (data & 0xffffffffL);
            case REG_ACQ + 4 -> acq = (acq & 0xffffffffL) | (data << 32);
            default -> { } // CSTS, NSSR, CMB/PMR and unknown offsets: QEMU logs a guest error and ignores
        }
    }

    private void writeCc(int data) {
        int old = cc;
        cc = data;
        int s = csts;
        if (ccShn(data) != 0 && ccShn(old) == 0) {
            ctrlShutdown();
            s = (s & ~CSTS_SHST_MASK) | CSTS_SHST_COMPLETE;
        } else if (ccShn(data) == 0 && ccShn(old) != 0) {
            s &= ~CSTS_SHST_MASK;
        }
        if (ccEn(data) != 0 && ccEn(old) == 0) {
            s = startCtrl() ? CSTS_READY : CSTS_FAILED;
        } else if (ccEn(data) == 0 && ccEn(old) != 0) {
            ctrlReset(); // CC and CSTS read 0 afterwards
            return;
        }
        csts = s;
    }

    /** nvme_start_ctrl: the checks that leave CSTS.CFS set instead of RDY. */
    private boolean startCtrl() {
        int bits = ccMps(cc) + 12;
        long size = 1L << bits;
        int css = (int) (cap >>> CAP_CSS_SHIFT) & 0xff;
        boolean ok = cqs[0] == null && sqs[0] == null
                && (asq & (size - 1)) == 0 && (acq & (size - 1)) == 0
                && (css & (1 << ccCss(cc))) != 0
                && ccMps(cc) >= ((cap >>> CAP_MPSMIN_SHIFT) & 0xf) && ccMps(cc) <= ((cap >>> CAP_MPSMAX_SHIFT) & 0xf)
                && ccIocqes(cc) == 4 && ccIosqes(cc) == 6 // Identify CQES/SQES: min = max
                && (aqa & 0xfff) != 0 && ((aqa >>> 16) & 0xfff) != 0;
        if (!ok) {
            return false;
        }
        pageBits = bits;
        pageSize = size;
        if (prp != null) {
            prpFailedBytes += prp.failedBytes;
        }
        prp = new NvmePrp(dma, bits);
        cqs[0] = new Cq(0, acq, ((aqa >>> 16) & 0xfff) + 1, 0, true);
        initSq(new Sq(0, 0, asq, (aqa & 0xfff) + 1));
        return true;
    }

    /** nvme_ctrl_reset: queues, events and registers back to their reset values. */
    private void ctrlReset() {
        java.util.Arrays.fill(sqs, null);
        java.util.Arrays.fill(cqs, null);
        aer.reset();
        qsCreated = false;
        csts = 0;
        intms = 0;
        cc = 0;
    }

    /** nvme_ctrl_shutdown → nvme_ns_shutdown → blk_flush. */
    private void ctrlShutdown() {
        try {
            ns.flush();
        } catch (java.io.IOException e) {
            // blk_flush's error is not reported by QEMU either; CSTS.SHST still completes
        }
    }

    void initSq(Sq sq) {
        sqs[sq.sqid] = sq;
        cqs[sq.cqid].sqCount++;
    }

    boolean validSqid(int qid) {
        return qid >= 0 && qid <= MAX_IOQPAIRS && sqs[qid] != null;
    }

    boolean validCqid(int qid) {
        return qid >= 0 && qid <= MAX_IOQPAIRS && cqs[qid] != null;
    }

    /** nvme_process_db: QEMU ignores every misuse, posting an error event only if an AER waits. */
    private void processDb(int addr, int val) {
        if ((addr & 3) != 0) {
            return; // misaligned: ignored
        }
        int index = (addr - BAR_REGS_SIZE) >>> 2;
        int qid = index >>> 1;
        int value = val & 0xffff;
        if ((index & 1) != 0) {
            if (!validCqid(qid)) {
                dbError(AER_INFO_ERR_INVALID_DB_REGISTER);
                return;
            }
            Cq cq = cqs[qid];
            if (value >= cq.size) {
                dbError(AER_INFO_ERR_INVALID_DB_VALUE);
                return;
            }
            if (cq.full()) {
                schedule(cq); // deferred completions can now be posted
            }
            cq.head = value;
        } else {
            if (!validSqid(qid)) {
                dbError(AER_INFO_ERR_INVALID_DB_REGISTER);
                return;
            }
            Sq sq = sqs[qid];
            if (value >= sq.size) {
                dbError(AER_INFO_ERR_INVALID_DB_VALUE);
                return;
            }
            sq.tail = value;
            schedule(sq);
        }
    }

    private void dbError(int info) {
        if (aer.outstanding()) {
            aer.enqueue(AER_TYPE_ERROR, info, LOG_ERROR_INFO);
        }
    }

    void schedule(Object queue) {
        if (queue instanceof Sq sq && !sq.scheduled) {
            sq.scheduled = true;
            bottomHalves.add(sq);
        } else if (queue instanceof Cq cq && !cq.scheduled) {
            cq.scheduled = true;
            bottomHalves.add(cq);
        }
    }

    /** The main loop's bottom halves, in scheduling order; a deleted queue's half is gone. */
    private void runBottomHalves() {
        if (inBottomHalves) {
            return;
        }
        inBottomHalves = true;
        try {
            while (!bottomHalves.isEmpty()) {
                Object q = bottomHalves.poll();
                if (q instanceof Sq sq) {
                    sq.scheduled = false;
                    if (sqs[sq.sqid] == sq) {
                        processSq(sq);
                    }
                } else if (q instanceof Cq cq) {
                    cq.scheduled = false;
                    if (cqs[cq.cqid] == cq) {
                        postCqes(cq);
                    }
                }
            }
        } finally {
            inBottomHalves = false;
        }
    }

    /** nvme_process_sq: fetch while entries and free request slots remain. */
    private void processSq(Sq sq) {
        Cq cq = cqs[sq.cqid];
        NvmeCmd cmd = new NvmeCmd();
        while (!sq.empty() && sq.freeRequests > 0) {
            if (dma.read(sq.dmaAddr + (long) sq.head * NvmeCmd.SIZE, cmd.raw) != 0) {
                csts = CSTS_FAILED; // the SQ entry does not translate: controller fatal
                break;
            }
            sq.head = (sq.head + 1) % sq.size;
            sq.freeRequests--;
            Request req = new Request(sq, cmd.cid(), cmd.opcode());
            int status = sq.sqid == 0 ? admin.execute(cmd, req) : io.execute(cmd, req);
            if (status != NO_COMPLETE) {
                req.status = status;
                enqueueCompletion(cq, req);
            }
        }
    }

    void enqueueCompletion(Cq cq, Request req) {
        cq.pending.add(req);
        schedule(cq);
    }

    /** nvme_post_cqes: write entries while the CQ has room, then raise the CQ's vector. */
    private void postCqes(Cq cq) {
        MemorySegment cqe = MemorySegment.ofArray(new byte[16]);
        while (!cq.pending.isEmpty() && !cq.full()) {
            Request req = cq.pending.peek();
            Sq sq = req.sq;
            NvmeCmd.putU32(cqe, 0, req.result);
            NvmeCmd.putU32(cqe, 4, 0);
            NvmeCmd.putU16(cqe, 8, sq.head);
            NvmeCmd.putU16(cqe, 10, sq.sqid);
            NvmeCmd.putU16(cqe, 12, req.cid);
            NvmeCmd.putU16(cqe, 14, (req.status << 1) | (cq.phase ? 1 : 0));
            if (dma.write(cq.dmaAddr + (long) cq.tail * 16, cqe) != 0) {
                csts = CSTS_FAILED; // the CQ entry does not translate: controller fatal
                break;
            }
            cq.pending.poll();
            cq.incTail();
            if (sq.freeRequests == 0 && !sq.empty()) {
                schedule(sq);
            }
            sq.freeRequests++;
        }
        if (cq.tail != cq.head && cq.irqEnabled && irq.msixEnabled()) {
            irq.msixNotify(cq.vector);
        }
    }

    /** nvme_check_mdts. */
    int checkMdts(long len) {
        return len > (pageSize << MDTS) ? INVALID_FIELD | DNR : SUCCESS;
    }

    int capMqes() {
        return (int) (cap & 0xffff);
    }
}
