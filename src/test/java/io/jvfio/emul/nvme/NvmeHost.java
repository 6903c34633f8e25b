package io.jvfio.emul.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.jvfio.emul.device.nvme.NvmeCtrl;
import io.jvfio.emul.device.nvme.NvmeInterrupts;
import io.jvfio.emul.device.nvme.NvmeNamespace;
import io.jvfio.emul.device.nvme.NvmeSpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal host driving the controller the way the bring-up in series-and-platform-facts.md does,
 * through BAR0 accesses and memory on a {@link PhbBus} only: the tests' view of the device.
 */
final class NvmeHost implements AutoCloseable {
    static final int CC_ENABLE = 1 | 6 << 16 | 4 << 20; // EN, IOSQES 64 bytes, IOCQES 16 bytes

    /** One submission/completion queue pair as the host tracks it. */
    static final class Queue {
        final int qid;
        final long sq;
        final long cq;
        final int sqSize;
        final int cqSize;
        int tail;
        int head;
        boolean phase = true;

        Queue(int qid, long sq, long cq, int sqSize, int cqSize) {
            this.qid = qid;
            this.sq = sq;
            this.cq = cq;
            this.sqSize = sqSize;
            this.cqSize = cqSize;
        }
    }

    /** A completion queue entry. */
    record Cqe(int result, int sqHead, int sqId, int cid, int status, boolean phase) {
        /** Status code and type without the phase tag; DNR and More cleared. */
        int sc() {
            return status & 0x7ff;
        }
    }

    /** A submission queue entry under construction. */
    static final class Cmd {
        final MemorySegment raw = MemorySegment.ofArray(new byte[64]);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        Cmd(int opcode, int nsid) {
            raw.set(ValueLayout.JAVA_BYTE, 0, (byte) opcode);
            raw.set(U32, 4, nsid);
        }

        Cmd flags(int flags) {
            raw.set(ValueLayout.JAVA_BYTE, 1, (byte) flags);
            return this;
        }

        Cmd prp(long prp1, long prp2) {
            raw.set(U64, 24, prp1);
            raw.set(U64, 32, prp2);
            return this;
        }

        Cmd cdw(int n, int v) {
            raw.set(U32, 40 + 4L * (n - 10), v);
            return this;
        }

        Cmd slba(long slba) {
            raw.set(U64, 40, slba);
            return this;
        }
    }

    /** MSI-X as a recording sink. */
    static final class Irq implements NvmeInterrupts {
        boolean enabled;
        final List<Integer> raised = new ArrayList<>();

        @Override
        public boolean msixEnabled() {
            return enabled;
        }

        @Override
        public void msixNotify(int vector) {
            raised.add(vector);
        }
    }

    final PhbBus bus;
    final Irq irq = new Irq();
    final NvmeNamespace ns;
    final NvmeCtrl ctrl;
    Queue admin;
    private final AtomicInteger nextCid = new AtomicInteger(1);

    NvmeHost(NvmeNamespace ns) {
        this.bus = new PhbBus(26);
        this.ns = ns;
        this.ctrl = new NvmeCtrl(bus.dma(), irq, ns, "jvfio-nvme-1");
    }

    static NvmeHost memory() {
        return new NvmeHost(NvmeNamespace.memory(1 << 20));
    }

    int reg32(int off) {
        return (int) ctrl.mmioRead(off, 4);
    }

    void write32(int off, int v) {
        ctrl.mmioWrite(off, Integer.toUnsignedLong(v), 4);
    }

    /** AQA, ASQ, ACQ, then CC with EN; returns CSTS. Admin queues of {@code size} entries. */
    int enable(int size, int ccExtra) {
        return enableAt(bus.alloc(size * 64L), bus.alloc(size * 16L), size, ccExtra);
    }

    /** The same with the admin queues at {@code asq} and {@code acq}. */
    int enableAt(long asq, long acq, int size, int ccExtra) {
        write32(NvmeSpec.REG_AQA, (size - 1) << 16 | (size - 1));
        ctrl.mmioWrite(NvmeSpec.REG_ASQ, asq, 8);
        ctrl.mmioWrite(NvmeSpec.REG_ACQ, acq, 8);
        write32(NvmeSpec.REG_CC, CC_ENABLE | ccExtra);
        admin = new Queue(0, asq, acq, size, size);
        return reg32(NvmeSpec.REG_CSTS);
    }

    /** A fresh range of {@code 2 << shift} bytes aligned to {@code 1 << shift}: room for two pages. */
    long aligned(int shift) {
        return bus.alloc(3L << shift) + (1L << shift) & -(1L << shift);
    }

    void enable() {
        assertEquals(NvmeSpec.CSTS_READY, enable(8, 0), "CSTS after enable");
    }

    /** Put {@code cmd} at the SQ tail (a fresh CID) without ringing; returns the CID. */
    int post(Queue q, Cmd cmd) {
        int cid = nextCid.getAndIncrement() & 0xffff;
        cmd.raw.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2, (short) cid);
        bus.at(q.sq + q.tail * 64L, 64).copyFrom(cmd.raw);
        q.tail = (q.tail + 1) % q.sqSize;
        return cid;
    }

    void ringSq(Queue q) {
        write32(0x1000 + 8 * q.qid, q.tail);
    }

    void ringCq(Queue q) {
        write32(0x1000 + 8 * q.qid + 4, q.head);
    }

    /** The CQE at the head if its phase tag is current (the head advances, the doorbell is not rung). */
    Cqe poll(Queue q) {
        long a = q.cq + q.head * 16L;
        int dw2 = bus.get32(a + 8);
        int dw3 = bus.get32(a + 12);
        boolean phase = (dw3 & 0x10000) != 0;
        if (phase != q.phase) {
            return null;
        }
        q.head++;
        if (q.head == q.cqSize) {
            q.head = 0;
            q.phase = !q.phase;
        }
        return new Cqe(bus.get32(a), dw2 & 0xffff, dw2 >>> 16, dw3 & 0xffff, dw3 >>> 17, phase);
    }

    /** Submit, ring, take the completion and ring the CQ head. */
    Cqe run(Queue q, Cmd cmd) {
        int cid = post(q, cmd);
        ringSq(q);
        Cqe c = poll(q);
        assertNotNull(c, "no completion for CID " + cid + " on queue " + q.qid);
        assertEquals(cid, c.cid(), "CID of the completion");
        ringCq(q);
        return c;
    }

    Cqe admin(Cmd cmd) {
        return run(admin, cmd);
    }

    /** CREATE I/O CQ then SQ with id {@code qid}, entries {@code size}; asserts success. */
    Queue createPair(int qid, int size, int vector, boolean ien) {
        long cq = bus.alloc(size * 16L);
        long sq = bus.alloc(size * 64L);
        assertEquals(0, admin(createCq(qid, cq, size, vector, ien)).status(), "CREATE CQ");
        assertEquals(0, admin(new Cmd(NvmeSpec.ADM_CREATE_SQ, 0).prp(sq, 0).cdw(10, (size - 1) << 16 | qid)
                .cdw(11, qid << 16 | 1)).status(), "CREATE SQ");
        return new Queue(qid, sq, cq, size, size);
    }

    static Cmd createCq(int qid, long addr, int size, int vector, boolean ien) {
        return new Cmd(NvmeSpec.ADM_CREATE_CQ, 0).prp(addr, 0).cdw(10, (size - 1) << 16 | qid)
                .cdw(11, vector << 16 | (ien ? 2 : 0) | 1);
    }

    static Cmd rw(int opcode, long slba, int blocks, long prp1, long prp2) {
        return new Cmd(opcode, 1).slba(slba).cdw(12, blocks - 1).prp(prp1, prp2);
    }

    @Override
    public void close() {
        ns.close();
        bus.close();
    }
}
