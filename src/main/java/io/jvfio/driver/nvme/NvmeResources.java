package io.jvfio.driver.nvme;

import io.jvfio.Device;
import io.jvfio.EventFd;
import io.jvfio.DmaDirection;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.driver.nvme.NvmeException.Kind;
import io.jvfio.driver.nvme.NvmeQueue.Command;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the controller holds, with the teardown: what the {@link Cleaner} runs. It must not
 * reference the {@link NvmeController}.
 */
final class NvmeResources implements Runnable {
    final DmaSession session;
    final boolean ownsSession;
    final Device device;
    final NvmeOptions options;
    NvmeRegisters regs;
    NvmeRegisters.Cap cap;
    long mps;
    String mpsReason;
    long timeoutMillis;
    long maxTransfer;
    boolean vwc;
    int nsid;
    boolean enabled;
    NvmeQueue admin;
    MemorySegment adminData;
    long adminDataIova;
    final List<DmaMemory> memory = new ArrayList<>();
    final List<EventFd> eventfds = new ArrayList<>();
    final List<NvmeController.Pair> pairs = new ArrayList<>();
    final List<Exception> errors = new ArrayList<>();
    private boolean tornDown;

    NvmeResources(DmaSession session, boolean ownsSession, Device device, NvmeOptions options) {
        this.session = session;
        this.ownsSession = ownsSession;
        this.device = device;
        this.options = options;
        this.maxTransfer = options.maxTransfer();
    }

    DmaMemory allocate(long bytes) throws VfioException {
        DmaMemory m = session.allocate(bytes);
        memory.add(m);
        return m;
    }

    long iova(DmaMemory m) throws VfioException {
        return options.window32() ? session.map32(m, DmaDirection.BIDIRECTIONAL) : session.map(m);
    }

    void free(DmaMemory m) throws VfioException {
        memory.remove(m);
        try {
            if (session.isOpen()) {
                session.unmap(m);
            }
        } finally {
            m.close();
        }
    }

    /** IDENTIFY with {@code cns} for {@code nsid}: the 4096 bytes returned. */
    synchronized byte[] identify(int cns, int nsid) throws NvmeException {
        String name = cns == 1 ? "IDENTIFY controller" : "IDENTIFY namespace " + nsid;
        adminData.asSlice(0, IdentifyController.SIZE).fill((byte) 0);
        admin.execute(new Command(name, NvmeController.ADMIN_IDENTIFY, nsid, adminDataIova, 0, cns, 0, 0));
        return adminData.asSlice(0, IdentifyController.SIZE).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Set Features, Number of Queues: how many I/O queue pairs the controller grants. */
    synchronized int negotiateQueues(int wanted) throws NvmeException {
        int n = wanted - 1;
        NvmeQueue.Completion c = admin.execute(new Command("SET FEATURES Number of Queues (" + wanted + ")",
                NvmeController.ADMIN_SET_FEATURES, 0, 0, 0, NvmeController.FEATURE_NUMBER_OF_QUEUES, n | (n << 16), 0));
        int granted = Math.min(c.result() & 0xffff, c.result() >>> 16) + 1;
        return Math.min(granted, wanted);
    }

    synchronized NvmeController.Pair createQueuePair(int maxPairs) throws IOException {
        if (tornDown) {
            throw new IllegalStateException("the NVMe controller is closed");
        }
        boolean[] used = new boolean[maxPairs + 1];
        for (NvmeController.Pair p : pairs) {
            used[p.queue.id] = true;
        }
        int qid = 1;
        while (qid <= maxPairs && used[qid]) {
            qid++;
        }
        if (qid > maxPairs) {
            throw new NvmeException(Kind.UNSUPPORTED, "create I/O queue pair", -1, null, "all " + maxPairs
                    + " queue pairs the controller granted are in use: close one first");
        }
        int entries = Math.min(options.queueEntries(), cap.maxQueueEntries());
        long sqBytes = NvmeController.roundUp(entries * (long) NvmeQueue.SQE_BYTES, mps);
        long cqBytes = NvmeController.roundUp(entries * (long) NvmeQueue.CQE_BYTES, mps);
        // One PRP list slot per command id, a power of two no larger than a page so no list
        // crosses a page (no chaining); the transfer limit follows from it.
        long slot = Math.min(mps, Long.highestOneBit(Prp.listBytes(maxTransfer, mps) * 2 - 1));
        long transfer = Math.min(maxTransfer, Prp.maxTransfer(slot, mps)) & -mps;
        long listBytes = NvmeController.roundUp(slot * (entries - 1), mps);
        DmaMemory m = allocate(sqBytes + cqBytes + listBytes + transfer);
        try {
            long iova = iova(m);
            MemorySegment s = m.segment();
            EventFd irq = eventfds.isEmpty() ? null : eventfds.get(qid % eventfds.size());
            int vector = eventfds.isEmpty() ? 0 : qid % eventfds.size();
            NvmeQueue q = new NvmeQueue(qid, entries, s.asSlice(0, sqBytes), s.asSlice(sqBytes, cqBytes), regs,
                    cap.doorbellStride(), irq, options.timeout());
            int size = (entries - 1) << 16;
            admin.execute(new Command("CREATE I/O CQ " + qid, NvmeController.ADMIN_CREATE_CQ, 0, iova + sqBytes, 0, qid | size,
                    1 | (irq != null ? 2 | (vector << 16) : 0), 0));
            try {
                admin.execute(new Command("CREATE I/O SQ " + qid, NvmeController.ADMIN_CREATE_SQ, 0, iova, 0, qid | size,
                        1 | (qid << 16), 0));
            } catch (NvmeException e) {
                deleteQueue(NvmeController.ADMIN_DELETE_CQ, "DELETE I/O CQ ", qid, e);
                throw e;
            }
            long lists = sqBytes + cqBytes;
            NvmeController.Pair p = new NvmeController.Pair(q, m, s.asSlice(lists, listBytes), iova + lists, slot,
                    s.asSlice(lists + listBytes, transfer), iova + lists + listBytes);
            pairs.add(p);
            return p;
        } catch (IOException | RuntimeException e) {
            free(m);
            throw e;
        }
    }

    private void deleteQueue(int opcode, String name, int qid, Exception cause) {
        try {
            admin.execute(new Command(name + qid, opcode, 0, 0, 0, qid, 0, 0));
        } catch (NvmeException e) {
            cause.addSuppressed(e);
        }
    }

    synchronized void releasePair(NvmeController.Pair p) throws IOException {
        if (p.closed) {
            return;
        }
        p.closed = true;
        pairs.remove(p);
        IOException first = null;
        if (enabled && device.isOpen() && !fatal()) {
            try {
                if (p.dirty && vwc) {
                    NvmeQueuePair.flush(p, nsid);
                }
                admin.execute(new Command("DELETE I/O SQ " + p.queue.id, NvmeController.ADMIN_DELETE_SQ, 0, 0, 0, p.queue.id, 0, 0));
                admin.execute(new Command("DELETE I/O CQ " + p.queue.id, NvmeController.ADMIN_DELETE_CQ, 0, 0, 0, p.queue.id, 0, 0));
            } catch (NvmeException e) {
                first = e;
            }
        }
        try {
            free(p.memory);
        } catch (VfioException | RuntimeException e) {
            if (first == null) {
                first = new IOException("free queue pair " + p.queue.id + " memory: " + e.getMessage(), e);
            } else {
                first.addSuppressed(e);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private boolean fatal() {
        return (regs.read32(NvmeRegisters.CSTS) & NvmeRegisters.CSTS_CFS) != 0;
    }

    /** The cleaner's action, and close's. */
    @Override
    public void run() {
        errors.addAll(teardown());
    }

    /** Every step attempted, in order; returns the failures. */
    synchronized List<Exception> teardown() {
        List<Exception> out = new ArrayList<>();
        if (tornDown) {
            return out;
        }
        tornDown = true;
        // The session may have been closed first (it closes its devices, unmapping BAR0, and the
        // container, so no DMA is possible): then only the Java side is left to release.
        boolean live = device.isOpen() && session.isOpen();
        if (!live) {
            enabled = false;
            eventfds.forEach(EventFd::close);
            eventfds.clear();
            pairs.forEach(p -> p.closed = true);
            pairs.clear();
        }
        if (regs != null && live) {
            for (NvmeController.Pair p : List.copyOf(pairs)) {
                try {
                    releasePair(p);
                } catch (IOException | RuntimeException e) {
                    out.add(e);
                }
            }
            if (enabled) {
                try {
                    shutdown();
                } catch (NvmeException | RuntimeException e) {
                    out.add(e);
                }
            }
            try {
                NvmeBringUp.disable(this);
            } catch (NvmeException | RuntimeException e) {
                out.add(e);
            }
        }
        if (!eventfds.isEmpty()) {
            try {
                device.disableIrq(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX);
            } catch (VfioException | RuntimeException e) {
                out.add(e);
            }
            eventfds.forEach(EventFd::close);
            eventfds.clear();
        }
        for (DmaMemory m : List.copyOf(memory)) {
            try {
                free(m);
            } catch (VfioException | RuntimeException e) {
                out.add(e);
            }
        }
        if (regs != null) {
            regs.close();
        }
        device.close();
        if (ownsSession) {
            try {
                session.close();
            } catch (RuntimeException e) {
                out.add(e);
            }
        }
        return out;
    }

    /** CC.SHN normal shutdown, CSTS.SHST complete awaited: the controller has committed written data. */
    private void shutdown() throws NvmeException {
        int csts = regs.read32(NvmeRegisters.CSTS);
        if ((csts & NvmeRegisters.CSTS_CFS) != 0) {
            throw new NvmeException(Kind.FATAL, "shutdown (CC.SHN)", -1, null,
                    "skipped: the controller is in fatal status; " + regs.snapshot());
        }
        int cc = regs.read32(NvmeRegisters.CC);
        regs.write32(NvmeRegisters.CC, (cc & ~NvmeRegisters.CC_SHN_MASK) | NvmeRegisters.CC_SHN_NORMAL);
        long wait = Math.max(timeoutMillis, options.timeout().toMillis());
        long deadline = System.nanoTime() + wait * 1_000_000L;
        while ((regs.read32(NvmeRegisters.CSTS) & NvmeRegisters.CSTS_SHST_MASK) != NvmeRegisters.CSTS_SHST_COMPLETE) {
            if (System.nanoTime() - deadline > 0) {
                throw new NvmeException(Kind.NOT_READY, "shutdown (CC.SHN)", -1, null, String.format(
                        "CSTS.SHST did not report complete within %d ms; read %s", wait, regs.snapshot()));
            }
            Thread.onSpinWait();
        }
    }
}
