package io.jvfio.driver.nvme;

import io.jvfio.EventFd;
import io.jvfio.VfioException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One submission queue and its completion queue in DMA memory: 64-byte commands in, 16-byte
 * completions out, matched by command id. Completions are recognised by the phase tag, which the
 * controller inverts on every pass over the completion queue (it starts zeroed, so the first pass
 * carries phase 1). Callers serialise access (a queue belongs to one thread, the admin queue to the
 * controller's lock).
 */
final class NvmeQueue {
    static final int SQE_BYTES = 64;
    static final int CQE_BYTES = 16;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final boolean SWAP = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;
    /** How long one wait on the eventfd lasts before the queue and CSTS are checked again. */
    private static final Duration IRQ_SLICE = Duration.ofMillis(20);

    /**
     * A command: opcode, namespace, data pointers and command dwords 10-12. {@code what} names it in
     * errors; its {@code toString} runs only then (formatting a name per I/O costs more than the I/O
     * under TCG).
     */
    record Command(Object what, int opcode, int nsid, long prp1, long prp2, int cdw10, int cdw11, int cdw12) {
        String name() {
            return what.toString();
        }
    }

    /** What the controller answered: dword 0 (command specific) and the status. */
    record Completion(int result, NvmeStatus status) {}

    final int id;
    final int entries;
    private final MemorySegment sq;
    private final MemorySegment cq;
    private final NvmeRegisters regs;
    private final int sqDoorbell;
    private final int cqDoorbell;
    private final EventFd irq;
    private final long timeoutNanos;
    private int sqTail;
    private int cqHead;
    private int phase = 1;
    private long interrupts;
    private final Command[] inFlight;
    private final Completion[] done;
    private final ArrayDeque<Integer> freeIds = new ArrayDeque<>();

    NvmeQueue(int id, int entries, MemorySegment sq, MemorySegment cq, NvmeRegisters regs, int doorbellStride,
            EventFd irq, Duration timeout) {
        this.id = id;
        this.entries = entries;
        this.sq = sq;
        this.cq = cq;
        this.regs = regs;
        this.sqDoorbell = NvmeRegisters.doorbell(id, false, doorbellStride);
        this.cqDoorbell = NvmeRegisters.doorbell(id, true, doorbellStride);
        this.irq = irq;
        this.timeoutNanos = timeout.toNanos();
        // One entry stays empty: a full queue would look empty (head == tail).
        this.inFlight = new Command[entries - 1];
        this.done = new Completion[entries - 1];
        for (int i = 0; i < entries - 1; i++) {
            freeIds.add(i);
        }
    }

    /** How many commands may be outstanding at once. */
    int depth() {
        return inFlight.length;
    }

    boolean interrupts() {
        return irq != null;
    }

    /**
     * The eventfd signals of this queue's vector so far: those consumed while waiting, plus those
     * pending, waiting up to {@code wait} for one (a completion found before the driver waited still
     * raised its interrupt). Proof that MSI-X vectors arrive.
     */
    long interruptsSeen(Duration wait) throws VfioException {
        if (irq != null) {
            interrupts += irq.await(wait);
        }
        return interrupts;
    }

    /** Whether this queue's vector has reached its eventfd, waiting up to {@code wait} for a first signal. */
    boolean vectorDelivered(Duration wait) throws VfioException {
        return interrupts > 0 || interruptsSeen(wait) > 0;
    }

    /** The command id the next {@link #submit} will use (its PRP list slot), or -1 when the queue is full. */
    int nextId() {
        Integer id = freeIds.peek();
        return id == null ? -1 : id;
    }

    /** Writes {@code c} at the tail and rings the doorbell; returns its command id. */
    int submit(Command c) {
        Integer cid = freeIds.poll();
        if (cid == null) {
            throw new IllegalStateException("queue " + id + " has " + inFlight.length + " commands outstanding");
        }
        long off = (long) sqTail * SQE_BYTES;
        MemorySegment e = sq.asSlice(off, SQE_BYTES);
        e.fill((byte) 0);
        e.set(LE_INT, 0, (c.opcode() & 0xff) | (cid << 16));
        e.set(LE_INT, 4, c.nsid());
        e.set(Prp.LE_LONG, 24, c.prp1());
        e.set(Prp.LE_LONG, 32, c.prp2());
        e.set(LE_INT, 40, c.cdw10());
        e.set(LE_INT, 44, c.cdw11());
        e.set(LE_INT, 48, c.cdw12());
        inFlight[cid] = c;
        done[cid] = null;
        sqTail = (sqTail + 1) % entries;
        // The command must be in memory before the device sees the doorbell: a full barrier (sync on
        // POWER, where a lighter one does not order cacheable stores against the MMIO store).
        VarHandle.fullFence();
        regs.write32(sqDoorbell, sqTail);
        return cid;
    }

    /** Consumes every new completion; returns how many there were. */
    int reap() {
        int n = 0;
        while (true) {
            long off = (long) cqHead * CQE_BYTES;
            int dw3 = (int) INT.getVolatile(cq, off + 12);
            if (SWAP) {
                dw3 = Integer.reverseBytes(dw3);
            }
            if (((dw3 >>> 16) & 1) != phase) {
                break;
            }
            int result = cq.get(LE_INT, off);
            int cid = dw3 & 0xffff;
            if (cid < inFlight.length && inFlight[cid] != null) {
                done[cid] = new Completion(result, NvmeStatus.ofDword3(dw3));
            }
            cqHead++;
            if (cqHead == entries) {
                cqHead = 0;
                phase ^= 1;
            }
            n++;
        }
        if (n > 0) {
            regs.write32(cqDoorbell, cqHead);
        }
        return n;
    }

    /** Whether command {@code cid} has completed (after {@link #reap}). */
    boolean completed(int cid) {
        return outstanding(cid) && done[cid] != null;
    }

    /** Whether {@code cid} is a submitted command not yet awaited. */
    boolean outstanding(int cid) {
        return cid >= 0 && cid < inFlight.length && inFlight[cid] != null;
    }

    /**
     * Waits for command {@code cid}: polling the completion queue, or sleeping on the queue's MSI-X
     * eventfd between looks. Frees the id.
     *
     * @throws NvmeException with the status on an error completion; on timeout; on CSTS.CFS
     */
    Completion await(int cid) throws NvmeException {
        long deadline = System.nanoTime() + timeoutNanos;
        int spins = 0;
        while (true) {
            reap();
            if (done[cid] != null) {
                return finish(cid);
            }
            if (irq != null) {
                long got;
                try {
                    got = irq.await(IRQ_SLICE);
                } catch (VfioException e) {
                    throw new NvmeException(NvmeException.Kind.TIMEOUT, inFlight[cid].name(), id, null,
                            "waiting for its MSI-X interrupt failed: " + e.getMessage());
                }
                interrupts += got;
                if (got == 0) {
                    checkFatal(cid);
                }
            } else if ((++spins & 0x3ff) == 0) {
                checkFatal(cid);
            } else {
                Thread.onSpinWait();
            }
            if (System.nanoTime() - deadline > 0) {
                reap();
                if (done[cid] != null) {
                    return finish(cid);
                }
                checkFatal(cid);
                // The id stays in use: a late completion must not be taken for a later command's.
                throw new NvmeException(NvmeException.Kind.TIMEOUT, inFlight[cid].name(), id, null, String.format(
                        "no completion within %d ms (%s; %s)", timeoutNanos / 1_000_000,
                        irq != null ? "MSI-X" : "polled", regs.snapshot()));
            }
        }
    }

    private Completion finish(int cid) throws NvmeException {
        Completion c = done[cid];
        Command cmd = inFlight[cid];
        inFlight[cid] = null;
        done[cid] = null;
        freeIds.add(cid);
        if (!c.status().success()) {
            throw NvmeException.status(cmd.name(), id, c.status());
        }
        return c;
    }

    private void checkFatal(int cid) throws NvmeException {
        int csts = regs.read32(NvmeRegisters.CSTS);
        if (csts == -1) {
            throw new NvmeException(NvmeException.Kind.FATAL, inFlight[cid].name(), id, null,
                    "CSTS reads 0xffffffff: the device is gone (surprise removal or reset)");
        }
        if ((csts & NvmeRegisters.CSTS_CFS) != 0) {
            throw new NvmeException(NvmeException.Kind.FATAL, inFlight[cid].name(), id, null, regs.snapshot());
        }
    }

    /** Submits and waits. */
    Completion execute(Command c) throws NvmeException {
        return await(submit(c));
    }
}
