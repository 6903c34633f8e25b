package io.jvfio.driver.nvme;

import io.jvfio.Bar;
import java.nio.ByteOrder;

/**
 * The controller's register file in BAR0 (NVMe 1.4 section 3.1). The registers are little-endian;
 * {@link Bar} accesses are in the CPU's order, so they are swapped only on a big-endian CPU (the
 * ppc64le guest and x86-64 need none). 64-bit registers are accessed as two 32-bit halves, low first,
 * as Linux's {@code lo_hi_writeq} does: not every platform turns a 64-bit MMIO into one transaction.
 */
final class NvmeRegisters {
    static final int CAP = 0x00;
    static final int VS = 0x08;
    static final int INTMS = 0x0c;
    static final int CC = 0x14;
    static final int CSTS = 0x1c;
    static final int AQA = 0x24;
    static final int ASQ = 0x28;
    static final int ACQ = 0x30;
    static final int DOORBELLS = 0x1000;

    static final int CC_EN = 1;
    static final int CC_SHN_NORMAL = 1 << 14;
    static final int CC_SHN_MASK = 3 << 14;
    static final int CC_IOSQES = 6 << 16; // 64-byte submission entries
    static final int CC_IOCQES = 4 << 20; // 16-byte completion entries

    static final int CSTS_RDY = 1;
    static final int CSTS_CFS = 1 << 1;
    static final int CSTS_SHST_MASK = 3 << 2;
    static final int CSTS_SHST_COMPLETE = 2 << 2;

    private static final boolean SWAP = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    private final Bar bar;

    NvmeRegisters(Bar bar) {
        this.bar = bar;
    }

    int read32(int offset) {
        int v = bar.read32(offset);
        return SWAP ? Integer.reverseBytes(v) : v;
    }

    void write32(int offset, int value) {
        bar.write32(offset, SWAP ? Integer.reverseBytes(value) : value);
    }

    long read64(int offset) {
        long lo = Integer.toUnsignedLong(read32(offset));
        return ((long) read32(offset + 4) << 32) | lo;
    }

    void write64(int offset, long value) {
        write32(offset, (int) value);
        write32(offset + 4, (int) (value >>> 32));
    }

    /** The doorbell of queue {@code qid}: submission tail, or completion head when {@code completion}. */
    static int doorbell(int qid, boolean completion, int doorbellStride) {
        return DOORBELLS + (2 * qid + (completion ? 1 : 0)) * (4 << doorbellStride);
    }

    /** What a register dump for an error message shows. */
    String snapshot() {
        return String.format("CAP=0x%016x VS=0x%08x CC=0x%08x CSTS=0x%08x", read64(CAP), read32(VS), read32(CC),
                read32(CSTS));
    }

    void close() {
        bar.close();
    }

    /** CAP, decoded. */
    record Cap(long raw) {
        /** Maximum queue entries supported (MQES is 0's based). */
        int maxQueueEntries() {
            return (int) (raw & 0xffff) + 1;
        }

        /** CQR: queues must be physically (here: IOVA-) contiguous. */
        boolean contiguousQueuesRequired() {
            return (raw & (1L << 16)) != 0;
        }

        /** CAP.TO: the worst-case time to become ready or not ready, in milliseconds (500 ms units). */
        long timeoutMillis() {
            return ((raw >>> 24) & 0xff) * 500L;
        }

        int doorbellStride() {
            return (int) ((raw >>> 32) & 0xf);
        }

        /** CSS bit 0: the NVM command set. */
        boolean nvmCommandSet() {
            return (raw & (1L << 37)) != 0;
        }

        /** The smallest memory page size, in bytes. */
        long minPageSize() {
            return 1L << (12 + ((raw >>> 48) & 0xf));
        }

        /** The largest memory page size, in bytes. */
        long maxPageSize() {
            return 1L << (12 + ((raw >>> 52) & 0xf));
        }
    }
}
