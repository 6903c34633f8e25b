package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.emul.nvme.NvmeHost.Cmd;
import io.jvfio.emul.nvme.NvmeHost.Cqe;
import io.jvfio.emul.nvme.NvmeHost.Queue;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** READ, WRITE, FLUSH: data through PRP1/PRP2 and PRP lists, and the error statuses. */
class NvmeIoTest {
    static final long PAGE = 4096;

    static byte[] pattern(int len, long seed) {
        byte[] b = new byte[len];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writeThenReadBackWithPrp1AndPrp2() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 8, 0, false);
            long src = h.bus.alloc(2 * PAGE);
            byte[] data = pattern(8 * 512, 1);
            h.bus.fill(src, data);
            Cqe c = h.run(q, NvmeHost.rw(CMD_WRITE, 100, 8, src, 0));
            assertEquals(0, c.status());
            assertEquals(1, c.sqId());
            long dst = h.bus.alloc(3 * PAGE);
            // 8 blocks from an offset of 2 KiB in the first page: PRP1 2 KiB, PRP2 the next 2 KiB
            c = h.run(q, NvmeHost.rw(CMD_READ, 100, 8, dst + 2048, dst + 2 * PAGE));
            assertEquals(0, c.status());
            byte[] back = new byte[4096];
            System.arraycopy(h.bus.bytes(dst + 2048, 2048), 0, back, 0, 2048);
            System.arraycopy(h.bus.bytes(dst + 2 * PAGE, 2048), 0, back, 2048, 2048);
            assertArrayEquals(data, back);
            assertEquals(0, h.bus.bytes(dst + PAGE, 1)[0], "the page between PRP1 and PRP2 is untouched");
            assertEquals(0, h.run(q, new Cmd(CMD_FLUSH, 1)).status());
            assertEquals(0, h.run(q, new Cmd(CMD_FLUSH, NSID_BROADCAST)).status(), "flush of all namespaces");
        }
    }

    @Test
    void prpListBeyondTwoPagesAndChainedList() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 8, 0, false);
            int pages = 6;
            byte[] data = pattern(pages * 4096, 2);
            // data pages scattered in reverse order, the list in its own page
            long[] p = new long[pages];
            for (int i = 0; i < pages; i++) {
                p[pages - 1 - i] = h.bus.alloc(PAGE);
            }
            for (int i = 0; i < pages; i++) {
                h.bus.fill(p[i], Arrays.copyOfRange(data, i * 4096, (i + 1) * 4096));
            }
            long list = h.bus.alloc(PAGE);
            for (int i = 1; i < pages; i++) {
                h.bus.put64(list + 8L * (i - 1), p[i]);
            }
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_WRITE, 0, pages * 8, p[0], list)).status());
            assertArrayEquals(data, readBack(h, q, 0, pages * 8));

            // a list starting 16 bytes before its page end holds two entries: the second chains on
            long list2 = h.bus.alloc(2 * PAGE) + PAGE - 16;
            long next = h.bus.alloc(PAGE);
            h.bus.put64(list2, p[1]);
            h.bus.put64(list2 + 8, next);
            for (int i = 2; i < pages; i++) {
                h.bus.put64(next + 8L * (i - 2), p[i]);
            }
            Arrays.fill(data, 0, 4096, (byte) 0x5a);
            h.bus.fill(p[0], Arrays.copyOf(data, 4096));
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_WRITE, 64, pages * 8, p[0], list2)).status());
            assertArrayEquals(data, readBack(h, q, 64, pages * 8));
        }
    }

    /** Read {@code blocks} at {@code slba} into fresh contiguous pages described by a PRP list. */
    static byte[] readBack(NvmeHost h, Queue q, long slba, int blocks) {
        int len = blocks * 512;
        int pages = (int) ((len + PAGE - 1) / PAGE);
        long buf = h.bus.alloc(pages * PAGE);
        long list = h.bus.alloc(PAGE);
        for (int i = 1; i < pages; i++) {
            h.bus.put64(list + 8L * (i - 1), buf + i * PAGE);
        }
        long prp2 = pages == 2 ? buf + PAGE : pages > 2 ? list : 0;
        assertEquals(0, h.run(q, NvmeHost.rw(CMD_READ, slba, blocks, buf, prp2)).status());
        return h.bus.bytes(buf, len);
    }

    @Test
    void ioErrorStatuses() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 8, 0, false);
            long buf = h.bus.alloc(PAGE);
            assertEquals(LBA_RANGE | DNR, h.run(q, NvmeHost.rw(CMD_READ, 2047, 2, buf, 0)).status(), "last block + 1");
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_READ, 2047, 1, buf, 0)).status(), "the last block");
            assertEquals(LBA_RANGE | DNR, h.run(q, NvmeHost.rw(CMD_WRITE, -1L, 1, buf, 0)).status(), "SLBA wraps");
            assertEquals(INVALID_FIELD | DNR, h.run(q, NvmeHost.rw(CMD_READ, 0, 1025, buf, 0)).status(),
                    "1025 blocks > MDTS (512 KiB)");
            assertEquals(INVALID_NSID | DNR, h.run(q, new Cmd(CMD_READ, 0).prp(buf, 0)).status(), "NSID 0");
            assertEquals(INVALID_NSID | DNR, h.run(q, new Cmd(CMD_READ, 257).prp(buf, 0)).status(), "NSID 257");
            assertEquals(INVALID_FIELD | DNR, h.run(q, new Cmd(CMD_READ, 2).prp(buf, 0)).status(), "inactive NSID");
            assertEquals(INVALID_FIELD | DNR, h.run(q, new Cmd(CMD_FLUSH, 2)).status());
            assertEquals(INVALID_OPCODE | DNR, h.run(q, new Cmd(0x7f, 1)).status());
            assertEquals(INVALID_FIELD, h.run(q, NvmeHost.rw(CMD_READ, 0, 1, buf, 0).flags(0x1)).status(), "fused");
            assertEquals(INVALID_PRP_OFFSET | DNR, h.run(q, NvmeHost.rw(CMD_READ, 0, 16, buf, buf + PAGE + 8)).status(),
                    "PRP2 not page aligned");
            long list = h.bus.alloc(PAGE);
            h.bus.put64(list, buf + 512);
            assertEquals(INVALID_PRP_OFFSET | DNR, h.run(q, NvmeHost.rw(CMD_READ, 0, 24, buf, list)).status(),
                    "list entry not page aligned");
        }
    }

    @Test
    void untranslatableAddressesFailAsInQemu() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 8, 0, false);
            byte[] data = pattern(3 * 4096, 3);
            long src = h.bus.alloc(3 * PAGE);
            h.bus.fill(src, data);
            long list = h.bus.alloc(PAGE);
            h.bus.put64(list, src + PAGE);
            h.bus.put64(list + 8, src + 2 * PAGE);
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_WRITE, 0, 24, src, list)).status());
            // the PRP list page does not translate: Data Transfer Error (nvme_read adds DNR to it)
            h.bus.hole(list);
            long dst = h.bus.alloc(3 * PAGE);
            assertEquals(DATA_TRAS_ERROR | DNR, h.run(q, NvmeHost.rw(CMD_READ, 0, 24, dst, list)).status());
            assertEquals(0, h.ctrl.dmaFailedBytes());
            // a data page does not translate: QEMU completes with success, that page gets nothing
            h.bus.hole(dst + PAGE);
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_READ, 0, 16, dst, dst + PAGE)).status());
            assertArrayEquals(Arrays.copyOf(data, 4096), h.bus.bytes(dst, 4096));
            assertEquals(4096, h.ctrl.dmaFailedBytes());
            // and a write from an untranslatable page stores zeros
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_WRITE, 0, 8, dst + PAGE, 0)).status());
            assertArrayEquals(new byte[4096], readBack(h, q, 0, 8));
        }
    }

    @Test
    void untranslatableQueuesAreControllerFatal() {
        assertEquals(CSTS_FAILED, cstsAfterFlush((bus, q) -> bus.hole(q.cq)), "CQ entry write failed: CFS, RDY cleared");
        assertEquals(CSTS_FAILED, cstsAfterFlush((bus, q) -> bus.hole(q.sq)), "SQ entry read failed: CFS");
        assertEquals(CSTS_READY, cstsAfterFlush((bus, q) -> bus.readOnly(q.sq)), "a read-only TCE serves the SQ");
        assertEquals(CSTS_FAILED, cstsAfterFlush((bus, q) -> bus.readOnly(q.cq)), "not the CQ: the device cannot write it");
    }

    /** CSTS after a FLUSH submitted on an I/O queue pair whose memory {@code spoil} changed. */
    static int cstsAfterFlush(BiConsumer<PhbBus, Queue> spoil) {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 8, 0, false);
            spoil.accept(h.bus, q);
            h.post(q, new Cmd(CMD_FLUSH, 1));
            h.ringSq(q);
            return h.reg32(REG_CSTS);
        }
    }
}
