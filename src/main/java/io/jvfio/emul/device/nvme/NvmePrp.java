package io.jvfio.emul.device.nvme;

import io.jvfio.emul.device.DmaPort;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * PRP walking and data transfer (nvme_map_prp, nvme_tx of hw/nvme/ctrl.c, QEMU 7.2), through the
 * device's {@link DmaPort}, so through the PHB's TCE windows as edu's DMA goes.
 *
 * <p>What fails how, as in QEMU: a PRP list page that does not translate fails the command with
 * Data Transfer Error (nvme_addr_read fails); a misaligned PRP2 or list entry is Invalid PRP Offset.
 * The data pages themselves are moved as QEMU's dma helpers move them: an untranslatable page reads
 * as zeros and takes no writes, and the command still succeeds (QEMU bounces through unassigned
 * memory and ignores the result); those bytes are counted in {@link #failedBytes}.
 */
final class NvmePrp {
    private final DmaPort dma;
    private final int pageBits;
    private final long pageSize;
    long failedBytes;

    NvmePrp(DmaPort dma, int pageBits) {
        this.dma = dma;
        this.pageBits = pageBits;
        this.pageSize = 1L << pageBits;
    }

    /** A mapped transfer: (address, length) pairs, or a status when mapping failed. */
    static final class Sg {
        long[] addr = new long[8];
        long[] len = new long[8];
        int n;
        int status;

        void add(long a, long l) {
            if (n == addr.length) {
                addr = Arrays.copyOf(addr, n * 2);
                len = Arrays.copyOf(len, n * 2);
            }
            addr[n] = a;
            len[n] = l;
            n++;
        }
    }

    /** nvme_map_prp for {@code len} bytes. */
    Sg map(long prp1, long prp2, long len) {
        Sg sg = new Sg();
        long trans = Math.min(len, pageSize - Long.remainderUnsigned(prp1, pageSize));
        sg.add(prp1, trans);
        len -= trans;
        if (len == 0) {
            return sg;
        }
        if (len <= pageSize) {
            if ((prp2 & (pageSize - 1)) != 0) {
                return fail(sg, NvmeSpec.INVALID_PRP_OFFSET | NvmeSpec.DNR);
            }
            sg.add(prp2, len);
            return sg;
        }
        int maxEnts = (int) (pageSize >>> 3);
        // the first list may start at an offset in its page: fewer entries in it
        int nents = (int) ((pageSize - (prp2 & (pageSize - 1))) >>> 3);
        MemorySegment list = MemorySegment.ofArray(new byte[maxEnts * 8]);
        if (!readList(prp2, list, Math.min(maxEnts, nents))) {
            return fail(sg, NvmeSpec.DATA_TRAS_ERROR);
        }
        int i = 0;
        while (len != 0) {
            long ent = NvmeCmd.getU64(list, 8L * i);
            if (i == nents - 1 && len > pageSize) {
                // the last entry of a full list page chains to the next list page
                if ((ent & (pageSize - 1)) != 0) {
                    return fail(sg, NvmeSpec.INVALID_PRP_OFFSET | NvmeSpec.DNR);
                }
                i = 0;
                nents = (int) Math.min((len + pageSize - 1) >>> pageBits, maxEnts);
                if (!readList(ent, list, nents)) {
                    return fail(sg, NvmeSpec.DATA_TRAS_ERROR);
                }
                ent = NvmeCmd.getU64(list, 0);
            }
            if ((ent & (pageSize - 1)) != 0) {
                return fail(sg, NvmeSpec.INVALID_PRP_OFFSET | NvmeSpec.DNR);
            }
            trans = Math.min(len, pageSize);
            sg.add(ent, trans);
            len -= trans;
            i++;
        }
        return sg;
    }

    private boolean readList(long addr, MemorySegment list, int entries) {
        MemorySegment dst = list.asSlice(0, entries * 8L);
        return dma.read(addr, dst) == 0;
    }

    private static Sg fail(Sg sg, int status) {
        sg.status = status;
        sg.n = 0;
        return sg;
    }

    /**
     * Moves {@code buf} to the host pages of {@code sg} ({@code toHost}: dma_buf_read, dma_blk_read)
     * or gathers them into it (dma_buf_write, dma_blk_write).
     */
    void transfer(Sg sg, MemorySegment buf, boolean toHost) {
        long off = 0;
        for (int k = 0; k < sg.n && off < buf.byteSize(); k++) {
            MemorySegment part = buf.asSlice(off, Math.min(sg.len[k], buf.byteSize() - off));
            failedBytes += toHost ? dma.write(sg.addr[k], part) : dma.read(sg.addr[k], part);
            off += part.byteSize();
        }
    }
}
