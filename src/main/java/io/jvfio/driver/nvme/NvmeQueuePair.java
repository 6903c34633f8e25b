package io.jvfio.driver.nvme;

import io.jvfio.driver.nvme.NvmeController.Pair;
import io.jvfio.driver.nvme.NvmeQueue.Command;
import io.jvfio.toolkit.DmaMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * An I/O submission and completion queue pair: READ, WRITE and FLUSH on the controller's namespace.
 * Data goes through the pair's bounce buffer ({@link #read(long, int, MemorySegment)}), or straight
 * to and from the caller's mapped {@link DmaMemory} ({@link #read(long, int, DmaMemory, long)}).
 * Transfers above {@link NvmeController#maxTransfer()} are split; a transfer over more than two
 * memory pages goes through a PRP list. Use a pair from one thread; make one pair per thread.
 */
public final class NvmeQueuePair implements AutoCloseable {
    static final int IO_FLUSH = 0x00;
    static final int IO_WRITE = 0x01;
    static final int IO_READ = 0x02;

    private final NvmeController controller;
    private final Pair pair;
    private final int blockSize;
    private final long blocks;
    private final int nsid;
    private final long mps;

    NvmeQueuePair(NvmeController controller, Pair pair) {
        this.controller = controller;
        this.pair = pair;
        this.blockSize = controller.namespace().blockSize();
        this.blocks = controller.namespace().blocks();
        this.nsid = controller.namespace().nsid();
        this.mps = controller.memoryPageSize();
    }

    /** The queue id (1 and up; 0 is the admin queue). */
    public int id() {
        return pair.queue.id;
    }

    Pair pair() {
        return pair;
    }

    /** Whether completions arrive through an MSI-X vector (else polled). */
    public boolean interrupts() {
        return pair.queue.interrupts();
    }

    /** Reads {@code count} blocks from {@code lba}. */
    public byte[] read(long lba, int count) throws NvmeException {
        byte[] out = new byte[Math.multiplyExact(count, blockSize)];
        read(lba, count, MemorySegment.ofArray(out));
        return out;
    }

    /** Reads {@code count} blocks from {@code lba} into {@code dst} (through the bounce buffer). */
    public synchronized void read(long lba, int count, MemorySegment dst) throws NvmeException {
        checkRange("READ", lba, count, dst.byteSize());
        long perCommand = pair.data.byteSize() / blockSize;
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(perCommand, count - done);
            transfer(IO_READ, lba + done, n, pair.dataIova);
            MemorySegment.copy(pair.data, 0, dst, done * blockSize, (long) n * blockSize);
            done += n;
        }
    }

    /** Writes {@code data} (a whole number of blocks) at {@code lba}. */
    public void write(long lba, byte[] data) throws NvmeException {
        write(lba, MemorySegment.ofArray(data));
    }

    /** Writes {@code src} (a whole number of blocks) at {@code lba} (through the bounce buffer). */
    public synchronized void write(long lba, MemorySegment src) throws NvmeException {
        int count = wholeBlocks("WRITE", src.byteSize());
        checkRange("WRITE", lba, count, src.byteSize());
        long perCommand = pair.data.byteSize() / blockSize;
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(perCommand, count - done);
            MemorySegment.copy(src, done * blockSize, pair.data, 0, (long) n * blockSize);
            pair.dirty = true;
            transfer(IO_WRITE, lba + done, n, pair.dataIova);
            done += n;
        }
    }

    /**
     * Reads {@code count} blocks into {@code buffer} at {@code offset} with no copy: the controller
     * writes straight into it. The buffer must be mapped in the controller's session.
     */
    public synchronized void read(long lba, int count, DmaMemory buffer, long offset) throws NvmeException {
        direct(IO_READ, lba, count, buffer, offset);
    }

    /** Writes {@code count} blocks from {@code buffer} at {@code offset} with no copy (see {@link #read(long, int, DmaMemory, long)}). */
    public synchronized void write(long lba, int count, DmaMemory buffer, long offset) throws NvmeException {
        pair.dirty = true;
        direct(IO_WRITE, lba, count, buffer, offset);
    }

    private void direct(int opcode, long lba, int count, DmaMemory buffer, long offset) throws NvmeException {
        String op = opcode == IO_READ ? "READ" : "WRITE";
        long bytes = (long) count * blockSize;
        if (offset < 0 || offset > buffer.size() - bytes) {
            throw new IllegalArgumentException(String.format("%s of %d bytes at offset %d: outside the %d-byte buffer",
                    op, bytes, offset, buffer.size()));
        }
        checkRange(op, lba, count, bytes);
        long iova = controller.session().iova(buffer).orElseThrow(() -> new IllegalArgumentException(
                op + ": the buffer is not mapped in the controller's DMA session (session.map(buffer))"));
        long perCommand = controller.maxTransfer() / blockSize;
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(perCommand, count - done);
            transfer(opcode, lba + done, n, iova + offset + done * blockSize);
            done += n;
        }
    }

    /** FLUSH: everything written so far is on non-volatile media when this returns. */
    public synchronized void flush() throws NvmeException {
        flush(pair, nsid);
        pair.dirty = false;
    }

    static void flush(Pair p, int nsid) throws NvmeException {
        p.queue.execute(new Command("FLUSH nsid " + nsid, IO_FLUSH, nsid, 0, 0, 0, 0, 0));
    }

    private void transfer(int opcode, long lba, int count, long iova) throws NvmeException {
        pair.queue.await(submit(opcode, lba, count, iova));
    }

    /** Builds the command's PRPs in the list slot of the id it will get, and submits it. */
    private int submit(int opcode, long lba, int count, long iova) {
        checkOpen();
        int id = pair.queue.nextId();
        if (id < 0) {
            throw new IllegalStateException("queue " + pair.queue.id + " has " + depth()
                    + " commands outstanding: complete one first");
        }
        Prp.Entries prp = Prp.build(iova, (long) count * blockSize, mps,
                pair.lists.asSlice(id * pair.listSlot, pair.listSlot), pair.listsIova + id * pair.listSlot);
        return pair.queue.submit(new Command(new IoName(opcode, lba, count), opcode, nsid, prp.prp1(), prp.prp2(), (int) lba, (int) (lba >>> 32),
                count - 1));
    }

    /** An I/O command's name, formatted only for an error message. */
    private record IoName(int opcode, long lba, int count) {
        @Override
        public String toString() {
            return (opcode == IO_READ ? "READ" : "WRITE") + " lba " + lba + " blocks " + count;
        }
    }

    /** How many commands may be outstanding at once ({@link #submitRead}). */
    public int depth() {
        return pair.queue.depth();
    }

    /**
     * Submits a READ of {@code count} blocks into {@code buffer} at {@code offset} without waiting (at
     * most {@link #depth()} outstanding, at most {@link NvmeController#maxTransfer()} bytes each) and
     * returns its command id for {@link #completed} and {@link #await}. For queue depths above one.
     */
    public synchronized int submitRead(long lba, int count, DmaMemory buffer, long offset) {
        long bytes = (long) count * blockSize;
        if (bytes > controller.maxTransfer() || offset < 0 || offset > buffer.size() - bytes) {
            throw new IllegalArgumentException(String.format("READ of %d bytes at offset %d: more than one command's "
                    + "%d bytes, or outside the %d-byte buffer", bytes, offset, controller.maxTransfer(), buffer.size()));
        }
        checkRange("READ", lba, count, bytes);
        long iova = controller.session().iova(buffer).orElseThrow(() -> new IllegalArgumentException(
                "READ: the buffer is not mapped in the controller's DMA session (session.map(buffer))"));
        return submit(IO_READ, lba, count, iova + offset);
    }

    /** Whether the command {@code id} has completed (looks at the completion queue, never waits). */
    public synchronized boolean completed(int id) {
        pair.queue.reap();
        return pair.queue.completed(id);
    }

    /** Waits for command {@code id} and frees it; throws its error status, or on timeout. */
    public synchronized void await(int id) throws NvmeException {
        if (!pair.queue.outstanding(id)) {
            throw new IllegalArgumentException("no outstanding command " + id + " on queue " + pair.queue.id);
        }
        pair.queue.await(id);
    }

    private int wholeBlocks(String op, long bytes) {
        if (bytes % blockSize != 0) {
            throw new IllegalArgumentException(String.format("%s of %d bytes: not a multiple of the %d-byte block size",
                    op, bytes, blockSize));
        }
        return (int) Math.min(Integer.MAX_VALUE, bytes / blockSize);
    }

    private void checkRange(String op, long lba, long count, long bufferBytes) {
        if (count <= 0) {
            throw new IllegalArgumentException(op + " of " + count + " blocks: the count must be positive");
        }
        if (lba < 0 || lba > blocks - count) {
            throw new IllegalArgumentException(String.format(
                    "%s lba %d blocks %d: beyond the namespace's %d blocks (last lba %d)", op, lba, count, blocks,
                    blocks - 1));
        }
        if (bufferBytes < count * blockSize) {
            throw new IllegalArgumentException(String.format("%s of %d blocks needs %d bytes, the buffer has %d", op,
                    count, count * blockSize, bufferBytes));
        }
    }

    private void checkOpen() {
        if (pair.closed) {
            throw new IllegalStateException("queue pair " + pair.queue.id + " is closed");
        }
    }

    /** The bytes of one block, for callers sizing buffers. */
    public int blockSize() {
        return blockSize;
    }

    /** Flushes (when written), deletes the queues and frees their memory. Idempotent. */
    @Override
    public void close() throws IOException {
        controller.release(pair);
    }
}
