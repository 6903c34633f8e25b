package io.jvfio.driver.nvme;

import io.jvfio.Device;
import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.driver.nvme.NvmeException.Kind;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.SessionOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
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

    private final NvmeResources res;
    private final Cleaner.Cleanable cleanable;
    private final IdentifyController identify;
    private final IdentifyNamespace namespace;
    private final int maxQueuePairs;

    private NvmeController(NvmeResources res, IdentifyController identify, IdentifyNamespace namespace, int maxQueuePairs) {
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
        NvmeResources r = new NvmeResources(session, ownsSession, dev, options);
        try {
            checkClass(dev);
            int cmd = dev.readConfig16(PCI_COMMAND);
            dev.writeConfig16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
            r.regs = new NvmeRegisters(dev.mapBar(VfioUapi.VFIO_PCI_BAR0_REGION_INDEX));
            NvmeBringUp.bringUp(r);
            IdentifyController id = IdentifyController.parse(r.identify(1, 0));
            NvmeBringUp.checkMsixDelivered(r);
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

    /** An I/O queue pair's state, owned by {@link NvmeResources} so the cleaner can delete it. */
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

    static long roundUp(long v, long unit) {
        return (v + unit - 1) & -unit;
    }
}
