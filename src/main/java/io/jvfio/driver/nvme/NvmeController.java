package io.jvfio.driver.nvme;

import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.EventFd;
import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.driver.nvme.NvmeException.Kind;
import io.jvfio.driver.nvme.NvmeQueue.Command;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.SessionOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * A userspace driver for an NVMe controller (PCI class 01:08:02) on jvfio.
 *
 * <pre>{@code
 * try (Vfio vfio = Vfio.kernel();
 *      NvmeController nvme = NvmeController.open(vfio, 1, "0001:00:00.0", NvmeOptions.defaults());
 *      NvmeQueuePair q = nvme.queuePair()) {
 *     byte[] block = q.read(0, 1);
 * }   // queues deleted, CC.SHN shutdown, MSI-X off, memory unmapped and freed, device closed
 * }</pre>
 *
 * <p>Bring-up (NVMe 1.4 section 7.6.1): PCI memory decoding and bus mastering on; BAR0 mapped;
 * CC.EN cleared and CSTS.RDY awaited within CAP.TO; the memory page size chosen against the DMA
 * window's TCE page size ({@link #memoryPageSize()}); the admin queue in DMA memory (AQA, ASQ, ACQ);
 * CC set (64-byte SQ and 16-byte CQ entries, MPS) with EN, RDY awaited; MSI-X vectors routed to
 * eventfds when {@link NvmeOptions.Completion#MSIX}; IDENTIFY controller, Set Features (Number of
 * Queues), IDENTIFY namespace 1.
 *
 * <p>{@link #close()} shuts down in order: every queue pair flushed (when written and the controller
 * has a volatile write cache) and deleted, CC.SHN with CSTS.SHST awaited (the controller commits its
 * data), CC.EN cleared (no DMA after this), MSI-X off, every mapping, registration and buffer
 * released, BAR and device closed (and the session, when the controller opened it). A controller the
 * program forgets to close is shut down the same way when it becomes unreachable (a {@link Cleaner}).
 *
 * <p>Admin commands are serialised; each {@link NvmeQueuePair} belongs to one thread.
 */
public final class NvmeController implements AutoCloseable {
    /** PCI base class and subclass of a non-volatile memory controller (01:08). */
    public static final int PCI_CLASS_NVM = 0x0108;
    /** The NVM Express programming interface (01:08:02). */
    public static final int PCI_PROG_IF_NVME = 0x02;

    static final int ADMIN_DELETE_SQ = 0x00;
    static final int ADMIN_CREATE_SQ = 0x01;
    static final int ADMIN_DELETE_CQ = 0x04;
    static final int ADMIN_CREATE_CQ = 0x05;
    static final int ADMIN_IDENTIFY = 0x06;
    static final int ADMIN_SET_FEATURES = 0x09;
    static final int FEATURE_NUMBER_OF_QUEUES = 0x07;
    static final int ADMIN_ENTRIES = 32;
    static final int NAMESPACE = 1;

    private static final Cleaner CLEANER = Cleaner.create();
    private static final int PCI_COMMAND = 0x04;
    private static final int PCI_COMMAND_MEMORY = 0x2;
    private static final int PCI_COMMAND_MASTER = 0x4;

    private final Resources res;
    private final Cleaner.Cleanable cleanable;
    private final IdentifyController identify;
    private final IdentifyNamespace namespace;
    private final int maxQueuePairs;

    private NvmeController(Resources res, IdentifyController identify, IdentifyNamespace namespace, int maxQueuePairs) {
        this.res = res;
        this.identify = identify;
        this.namespace = namespace;
        this.maxQueuePairs = maxQueuePairs;
        this.cleanable = CLEANER.register(this, res);
    }

    /**
     * Opens a DMA session on {@code group} sized for the controller, and the controller at
     * {@code address} in it. The session is the controller's: it closes with it.
     */
    public static NvmeController open(Vfio vfio, int group, String address, NvmeOptions options) throws IOException {
        DmaSession s = DmaSession.open(vfio, group, sessionOptions(options));
        try {
            return open(s, address, options, true);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** The session options {@link #open(Vfio, int, String, NvmeOptions)} uses: room for every queue pair. */
    public static SessionOptions sessionOptions(NvmeOptions options) {
        long perPair = 4L * options.maxTransfer() + (1L << 20);
        return SessionOptions.defaults().withBudget(Math.max(SessionOptions.DEFAULT_BUDGET,
                Long.highestOneBit(perPair * (options.maxQueuePairs() + 1)) * 2));
    }

    /** Takes over the controller at {@code address} in {@code session}'s group; the session stays the caller's. */
    public static NvmeController open(DmaSession session, String address, NvmeOptions options) throws IOException {
        return open(session, address, options, false);
    }

    private static NvmeController open(DmaSession session, String address, NvmeOptions options, boolean ownsSession)
            throws IOException {
        Device dev = session.openDevice(address);
        Resources r = new Resources(session, ownsSession, dev, options);
        try {
            checkClass(dev);
            int cmd = dev.readConfig16(PCI_COMMAND);
            dev.writeConfig16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
            r.regs = new NvmeRegisters(dev.mapBar(VfioUapi.VFIO_PCI_BAR0_REGION_INDEX));
            r.bringUp();
            IdentifyController id = IdentifyController.parse(r.identify(1, 0));
            int pairs = r.negotiateQueues(options.maxQueuePairs());
            IdentifyNamespace ns = IdentifyNamespace.parse(NAMESPACE, r.identify(0, NAMESPACE));
            if (!ns.active()) {
                throw new NvmeException(Kind.UNSUPPORTED, "IDENTIFY namespace " + NAMESPACE, 0, null,
                        "the namespace is not active (size 0): attach or create it");
            }
            if (ns.metadataSize() != 0) {
                throw new NvmeException(Kind.UNSUPPORTED, "IDENTIFY namespace " + NAMESPACE, 0, null,
                        "LBA format " + ns.lbaFormat() + " has " + ns.metadataSize()
                                + " metadata bytes per block; this driver needs a format without metadata");
            }
            r.maxTransfer = Math.min(id.maxTransferBytes(r.cap.minPageSize()), r.maxTransfer);
            r.vwc = id.volatileWriteCache();
            r.nsid = ns.nsid();
            return new NvmeController(r, id, ns, pairs);
        } catch (IOException | RuntimeException e) {
            List<Exception> errors = r.teardown();
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    private static void checkClass(Device dev) throws VfioException, NvmeException {
        int classWord = dev.readConfig16(0x0a);
        int progIf = dev.readConfig16(0x08) >>> 8;
        if (classWord != PCI_CLASS_NVM || progIf != PCI_PROG_IF_NVME) {
            throw new NvmeException(Kind.UNSUPPORTED, "open " + dev.address(), -1, null, String.format(
                    "not an NVMe controller: PCI %04x:%04x has class %04x:%02x (NVMe is 0108:02)",
                    dev.readConfig16(0), dev.readConfig16(2), classWord, progIf));
        }
    }

    /** The controller's IDENTIFY data. */
    public IdentifyController identify() {
        return identify;
    }

    /** Namespace 1's IDENTIFY data: its size and block size. */
    public IdentifyNamespace namespace() {
        return namespace;
    }

    /** The memory page size (CC.MPS) in bytes: the DMA window's TCE page, within CAP.MPSMIN..MPSMAX. */
    public long memoryPageSize() {
        return res.mps;
    }

    /** Why {@link #memoryPageSize()} is what it is. */
    public String memoryPageSizeReason() {
        return res.mpsReason;
    }

    /** The largest data of one command, in bytes; larger reads and writes are split. */
    public long maxTransfer() {
        return res.maxTransfer;
    }

    /** How many I/O queue pairs the controller granted (at most {@link NvmeOptions#maxQueuePairs()}). */
    public int maxQueuePairs() {
        return maxQueuePairs;
    }

    /** The controller's registers, for diagnostics: CAP, VS, CC, CSTS. */
    public String registers() {
        return res.regs.snapshot();
    }

    /** The PCI address. */
    public String address() {
        return res.device.address();
    }

    /** The DMA session the queues and buffers live in. */
    public DmaSession session() {
        return res.session;
    }

    /** The options the controller runs with. */
    public NvmeOptions options() {
        return res.options;
    }

    /**
     * Creates an I/O queue pair (completion queue first, then its submission queue), with its own
     * MSI-X vector when the controller runs with interrupts. Use it from one thread.
     *
     * @throws NvmeException when all granted queue pairs are in use, or the controller refuses
     */
    public NvmeQueuePair queuePair() throws IOException {
        return new NvmeQueuePair(this, res.createQueuePair(maxQueuePairs));
    }

    /** An I/O queue pair's state, owned by {@link Resources} so the cleaner can delete it. */
    static final class Pair {
        final NvmeQueue queue;
        final DmaMemory memory;
        final MemorySegment lists;
        final long listsIova;
        final long listSlot;
        final MemorySegment data;
        final long dataIova;
        boolean dirty;
        boolean closed;

        Pair(NvmeQueue queue, DmaMemory memory, MemorySegment lists, long listsIova, long listSlot,
                MemorySegment data, long dataIova) {
            this.queue = queue;
            this.memory = memory;
            this.lists = lists;
            this.listsIova = listsIova;
            this.listSlot = listSlot;
            this.data = data;
            this.dataIova = dataIova;
        }
    }

    Resources resources() {
        return res;
    }

    /** Deletes the queue pair (flushing first when it wrote to a volatile cache) and frees its memory. */
    void release(Pair p) throws IOException {
        res.releasePair(p);
    }

    /**
     * Orderly shutdown and release (see the class comment). Every step is attempted; the first failure
     * is thrown with the others suppressed. Idempotent.
     */
    @Override
    public void close() throws NvmeException {
        cleanable.clean();
        List<Exception> errors = List.copyOf(res.errors);
        res.errors.clear();
        if (!errors.isEmpty()) {
            NvmeException e = errors.getFirst() instanceof NvmeException n ? n
                    : new NvmeException(Kind.NOT_READY, "shutdown", -1, null, errors.getFirst().toString());
            errors.stream().filter(x -> x != e).forEach(e::addSuppressed);
            throw e;
        }
    }

    @Override
    public String toString() {
        return String.format("NvmeController[%s %s, ns %d: %d x %d B, MPS %s]", res.device.address(), identify.model(),
                namespace.nsid(), namespace.blocks(), namespace.blockSize(), Sizes.human(res.mps));
    }

    /**
     * Everything the controller holds, with the teardown: what the {@link Cleaner} runs. It must not
     * reference the {@link NvmeController}.
     */
    static final class Resources implements Runnable {
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
        final List<Pair> pairs = new ArrayList<>();
        final List<Exception> errors = new ArrayList<>();
        private boolean tornDown;

        Resources(DmaSession session, boolean ownsSession, Device device, NvmeOptions options) {
            this.session = session;
            this.ownsSession = ownsSession;
            this.device = device;
            this.options = options;
            this.maxTransfer = options.maxTransfer();
        }

        /** Disable, admin queue, enable: NVMe 1.4 section 7.6.1 steps 1-7. */
        void bringUp() throws IOException {
            cap = new NvmeRegisters.Cap(regs.read64(NvmeRegisters.CAP));
            if (cap.raw() == -1L) {
                throw new NvmeException(Kind.UNSUPPORTED, "read CAP", -1, null,
                        "BAR0 reads all ones: the device is gone, or its memory decoding is off");
            }
            if (!cap.nvmCommandSet()) {
                throw new NvmeException(Kind.UNSUPPORTED, "read CAP", -1, null,
                        String.format("CAP 0x%016x: the controller does not support the NVM command set", cap.raw()));
            }
            timeoutMillis = Math.max(cap.timeoutMillis(), 500);
            disable();
            chooseMemoryPageSize();
            int entries = Math.min(ADMIN_ENTRIES, cap.maxQueueEntries());
            long sqBytes = roundUp(entries * (long) NvmeQueue.SQE_BYTES, mps);
            long cqBytes = roundUp(entries * (long) NvmeQueue.CQE_BYTES, mps);
            long dataBytes = roundUp(IdentifyController.SIZE, mps);
            DmaMemory m = allocate(sqBytes + cqBytes + dataBytes);
            long iova = iova(m);
            MemorySegment s = m.segment();
            adminData = s.asSlice(sqBytes + cqBytes, dataBytes);
            adminDataIova = iova + sqBytes + cqBytes;
            EventFd irq = null;
            if (options.completion() == NvmeOptions.Completion.MSIX) {
                irq = routeMsix();
            }
            admin = new NvmeQueue(0, entries, s.asSlice(0, sqBytes), s.asSlice(sqBytes, cqBytes), regs,
                    cap.doorbellStride(), irq, options.timeout());
            regs.write32(NvmeRegisters.AQA, ((entries - 1) << 16) | (entries - 1));
            regs.write64(NvmeRegisters.ASQ, iova);
            regs.write64(NvmeRegisters.ACQ, iova + sqBytes);
            int mpsField = Long.numberOfTrailingZeros(mps) - 12;
            regs.write32(NvmeRegisters.CC, NvmeRegisters.CC_IOSQES | NvmeRegisters.CC_IOCQES | (mpsField << 7));
            regs.write32(NvmeRegisters.CC, regs.read32(NvmeRegisters.CC) | NvmeRegisters.CC_EN);
            enabled = true;
            awaitReady(true, "enable (CC.EN=1)");
        }

        /** CC.EN=0 and CSTS.RDY=0 within CAP.TO. */
        void disable() throws NvmeException {
            int cc = regs.read32(NvmeRegisters.CC);
            if ((cc & NvmeRegisters.CC_EN) != 0) {
                regs.write32(NvmeRegisters.CC, cc & ~NvmeRegisters.CC_EN);
            }
            awaitReady(false, "disable (CC.EN=0)");
            enabled = false;
        }

        private void awaitReady(boolean ready, String what) throws NvmeException {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (true) {
                int csts = regs.read32(NvmeRegisters.CSTS);
                if (csts == -1) {
                    throw new NvmeException(Kind.NOT_READY, what, -1, null,
                            "CSTS reads 0xffffffff: the device is gone or not responding; " + regs.snapshot());
                }
                if (ready && (csts & NvmeRegisters.CSTS_CFS) != 0) {
                    throw new NvmeException(Kind.FATAL, what, -1, null, regs.snapshot());
                }
                if (((csts & NvmeRegisters.CSTS_RDY) != 0) == ready) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new NvmeException(Kind.NOT_READY, what, -1, null, String.format(
                            "CSTS.RDY did not become %d within CAP.TO = %d ms; read %s", ready ? 1 : 0,
                            timeoutMillis, regs.snapshot()));
                }
                Thread.onSpinWait();
            }
        }

        /**
         * MPS: the window's TCE page size, clamped to what the controller supports. Every IOVA the
         * session hands out is TCE-page aligned, so a memory page no larger than the TCE page is
         * aligned too, and the largest such page needs the fewest PRP entries.
         */
        private void chooseMemoryPageSize() throws NvmeException {
            long tce = options.window32() ? session.window32().map(w -> w.pageSize()).orElse(session.window().pageSize())
                    : session.window().pageSize();
            if (tce < cap.minPageSize()) {
                throw new NvmeException(Kind.UNSUPPORTED, "choose memory page size", -1, null, String.format(
                        "the window's TCE page (%s) is smaller than the controller's smallest memory page "
                                + "(CAP.MPSMIN %s): IOVAs would not be page aligned; plan larger TCE pages",
                        Sizes.human(tce), Sizes.human(cap.minPageSize())));
            }
            mps = Math.min(tce, cap.maxPageSize());
            mpsReason = String.format("TCE page %s, controller supports %s..%s: MPS %s", Sizes.human(tce),
                    Sizes.human(cap.minPageSize()), Sizes.human(cap.maxPageSize()), Sizes.human(mps));
        }

        /** One eventfd per MSI-X vector: vector 0 for the admin queue, one per I/O queue pair while they last. */
        private EventFd routeMsix() throws IOException {
            int count = device.irqInfo(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX).count();
            if (count == 0) {
                throw new NvmeException(Kind.UNSUPPORTED, "MSI-X setup", -1, null,
                        "the device offers no MSI-X vectors (VFIO_DEVICE_GET_IRQ_INFO): use polled completion");
            }
            int n = Math.min(count, options.maxQueuePairs() + 1);
            for (int i = 0; i < n; i++) {
                eventfds.add(session.vfio().eventfd());
            }
            device.setIrqEventfds(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX, eventfds);
            return eventfds.getFirst();
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
            admin.execute(new Command(name, ADMIN_IDENTIFY, nsid, adminDataIova, 0, cns, 0, 0));
            return adminData.asSlice(0, IdentifyController.SIZE).toArray(ValueLayout.JAVA_BYTE);
        }

        /** Set Features, Number of Queues: how many I/O queue pairs the controller grants. */
        synchronized int negotiateQueues(int wanted) throws NvmeException {
            int n = wanted - 1;
            NvmeQueue.Completion c = admin.execute(new Command("SET FEATURES Number of Queues (" + wanted + ")",
                    ADMIN_SET_FEATURES, 0, 0, 0, FEATURE_NUMBER_OF_QUEUES, n | (n << 16), 0));
            int granted = Math.min(c.result() & 0xffff, c.result() >>> 16) + 1;
            return Math.min(granted, wanted);
        }

        synchronized Pair createQueuePair(int maxPairs) throws IOException {
            if (tornDown) {
                throw new IllegalStateException("the NVMe controller is closed");
            }
            boolean[] used = new boolean[maxPairs + 1];
            for (Pair p : pairs) {
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
            long sqBytes = roundUp(entries * (long) NvmeQueue.SQE_BYTES, mps);
            long cqBytes = roundUp(entries * (long) NvmeQueue.CQE_BYTES, mps);
            // One PRP list slot per command id, a power of two no larger than a page so no list
            // crosses a page (no chaining); the transfer limit follows from it.
            long slot = Math.min(mps, Long.highestOneBit(Prp.listBytes(maxTransfer, mps) * 2 - 1));
            long transfer = Math.min(maxTransfer, Prp.maxTransfer(slot, mps)) & -mps;
            long listBytes = roundUp(slot * (entries - 1), mps);
            DmaMemory m = allocate(sqBytes + cqBytes + listBytes + transfer);
            try {
                long iova = iova(m);
                MemorySegment s = m.segment();
                EventFd irq = eventfds.isEmpty() ? null : eventfds.get(qid % eventfds.size());
                int vector = eventfds.isEmpty() ? 0 : qid % eventfds.size();
                NvmeQueue q = new NvmeQueue(qid, entries, s.asSlice(0, sqBytes), s.asSlice(sqBytes, cqBytes), regs,
                        cap.doorbellStride(), irq, options.timeout());
                int size = (entries - 1) << 16;
                admin.execute(new Command("CREATE I/O CQ " + qid, ADMIN_CREATE_CQ, 0, iova + sqBytes, 0, qid | size,
                        1 | (irq != null ? 2 | (vector << 16) : 0), 0));
                try {
                    admin.execute(new Command("CREATE I/O SQ " + qid, ADMIN_CREATE_SQ, 0, iova, 0, qid | size,
                            1 | (qid << 16), 0));
                } catch (NvmeException e) {
                    deleteQueue(ADMIN_DELETE_CQ, "DELETE I/O CQ ", qid, e);
                    throw e;
                }
                long lists = sqBytes + cqBytes;
                Pair p = new Pair(q, m, s.asSlice(lists, listBytes), iova + lists, slot,
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

        synchronized void releasePair(Pair p) throws IOException {
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
                    admin.execute(new Command("DELETE I/O SQ " + p.queue.id, ADMIN_DELETE_SQ, 0, 0, 0, p.queue.id, 0, 0));
                    admin.execute(new Command("DELETE I/O CQ " + p.queue.id, ADMIN_DELETE_CQ, 0, 0, 0, p.queue.id, 0, 0));
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
                for (Pair p : List.copyOf(pairs)) {
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
                    disable();
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

    static long roundUp(long v, long unit) {
        return (v + unit - 1) & -unit;
    }
}
