package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.emul.nvme.NvmeHost.Cmd;
import io.jvfio.emul.nvme.NvmeHost.Cqe;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Admin commands: IDENTIFY, queue creation and deletion with QEMU's checks, features. */
class NvmeAdminTest {

    static String ascii(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.US_ASCII);
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static long u64(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    @Test
    void identifyControllerNamespaceAndList() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            long buf = h.bus.alloc(4096);
            Cqe c = h.admin(new Cmd(ADM_IDENTIFY, 0).prp(buf, 0).cdw(10, ID_CNS_CTRL));
            assertEquals(0, c.status());
            assertEquals(0, c.sqId());
            assertEquals(1, c.sqHead(), "SQ head after one command");
            byte[] id = h.bus.bytes(buf, 4096);
            assertEquals(0x1b36, u16(id, 0), "VID");
            assertEquals("jvfio-nvme-1        ", ascii(id, 4, 20), "SN, space padded");
            assertEquals("QEMU NVMe Ctrl", ascii(id, 24, 40).strip(), "MN");
            assertEquals(7, id[77], "MDTS");
            assertEquals(0x66, id[512] & 0xff, "SQES");
            assertEquals(0x44, id[513] & 0xff, "CQES");
            assertEquals(256, u16(id, 516), "NN");
            assertEquals("nqn.2019-08.org.qemu:jvfio-nvme-1", ascii(id, 768, 33));

            c = h.admin(new Cmd(ADM_IDENTIFY, 1).prp(buf, 0).cdw(10, ID_CNS_NS));
            assertEquals(0, c.status());
            id = h.bus.bytes(buf, 4096);
            assertEquals(2048, u64(id, 0), "NSZE: 1 MiB of 512-byte blocks");
            assertEquals(2048, u64(id, 8), "NCAP");
            assertEquals(0, id[26], "FLBAS: format 0");
            assertEquals(9, id[128 + 2], "LBAF0: 2^9 bytes");

            assertEquals(0, h.admin(new Cmd(ADM_IDENTIFY, 0).prp(buf, 0).cdw(10, ID_CNS_NS_ACTIVE_LIST)).status());
            id = h.bus.bytes(buf, 8);
            assertEquals(1, id[0]);
            assertEquals(0, id[4], "one active namespace");
            h.admin(new Cmd(ADM_IDENTIFY, 1).prp(buf, 0).cdw(10, ID_CNS_NS_ACTIVE_LIST));
            assertEquals(0, h.bus.bytes(buf, 1)[0], "no namespace above 1");

            h.bus.fill(buf, new byte[] {9});
            assertEquals(0, h.admin(new Cmd(ADM_IDENTIFY, 2).prp(buf, 0).cdw(10, ID_CNS_NS)).status());
            assertEquals(0, h.bus.bytes(buf, 1)[0], "an inactive namespace: all zeros");
            assertEquals(INVALID_NSID | DNR, h.admin(new Cmd(ADM_IDENTIFY, 0).prp(buf, 0).cdw(10, ID_CNS_NS)).status());
            assertEquals(INVALID_NSID | DNR, h.admin(new Cmd(ADM_IDENTIFY, -1).prp(buf, 0).cdw(10, ID_CNS_NS)).status());
            assertEquals(INVALID_FIELD | DNR, h.admin(new Cmd(ADM_IDENTIFY, 0).prp(buf, 0).cdw(10, 0x55)).status());
        }
    }

    @Test
    void invalidAdminOpcodeAndFlags() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            assertEquals(INVALID_OPCODE | DNR, h.admin(new Cmd(0x03, 0)).status(), "opcode 03h is reserved");
            assertEquals(INVALID_OPCODE | DNR, h.admin(new Cmd(0xc0, 0)).status(), "vendor specific");
            assertEquals(INVALID_FIELD | DNR, h.admin(new Cmd(ADM_IDENTIFY, 0).flags(0x40).cdw(10, 1)).status(), "SGL");
            assertEquals(INVALID_FIELD, h.admin(new Cmd(ADM_IDENTIFY, 0).flags(0x1).cdw(10, 1)).status(), "fused: no DNR");
        }
    }

    @Test
    void createQueueChecksInQemusOrder() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            long mem = h.bus.alloc(1 << 16);
            assertEquals(INVALID_QID | DNR, h.admin(NvmeHost.createCq(0, mem, 16, 0, false)).status(), "CQ id 0");
            assertEquals(INVALID_QID | DNR, h.admin(NvmeHost.createCq(65, mem, 16, 0, false)).status(), "CQ id > 64");
            assertEquals(MAX_QSIZE_EXCEEDED | DNR, h.admin(NvmeHost.createCq(1, mem, 1, 0, false)).status(), "qsize 0");
            assertEquals(MAX_QSIZE_EXCEEDED | DNR, h.admin(NvmeHost.createCq(1, mem, 2049, 0, false)).status(), "> MQES");
            assertEquals(INVALID_PRP_OFFSET | DNR, h.admin(NvmeHost.createCq(1, mem + 64, 16, 0, false)).status());
            assertEquals(INVALID_IRQ_VECTOR | DNR, h.admin(NvmeHost.createCq(1, mem, 16, 1, true)).status(),
                    "vector 1 while MSI-X is disabled");
            h.irq.enabled = true;
            assertEquals(INVALID_IRQ_VECTOR | DNR, h.admin(NvmeHost.createCq(1, mem, 16, 65, true)).status(), "vector 65");
            assertEquals(INVALID_FIELD | DNR, h.admin(new Cmd(ADM_CREATE_CQ, 0).prp(mem, 0).cdw(10, 15 << 16 | 1)).status(),
                    "not physically contiguous");
            assertEquals(0, h.admin(NvmeHost.createCq(1, mem, 16, 64, true)).status());
            assertEquals(INVALID_QID | DNR, h.admin(NvmeHost.createCq(1, mem, 16, 0, false)).status(), "CQ 1 exists");

            long sq = h.bus.alloc(4096);
            assertEquals(INVALID_CQID | DNR, createSq(h, 1, sq, 16, 2, 1).status(), "no CQ 2");
            assertEquals(INVALID_CQID | DNR, createSq(h, 1, sq, 16, 0, 1).status(), "the admin CQ");
            assertEquals(INVALID_QID | DNR, createSq(h, 0, sq, 16, 1, 1).status());
            assertEquals(INVALID_QID | DNR, createSq(h, 65, sq, 16, 1, 1).status());
            assertEquals(MAX_QSIZE_EXCEEDED | DNR, createSq(h, 1, sq, 2049, 1, 1).status());
            assertEquals(INVALID_PRP_OFFSET | DNR, createSq(h, 1, sq + 8, 16, 1, 1).status());
            assertEquals(INVALID_FIELD | DNR, createSq(h, 1, sq, 16, 1, 0).status());
            assertEquals(0, createSq(h, 1, sq, 16, 1, 1).status());
            assertEquals(INVALID_QID | DNR, createSq(h, 1, sq, 16, 1, 1).status(), "SQ 1 exists");

            // deletion: the CQ only once its SQs are gone
            assertEquals(INVALID_QUEUE_DEL, delete(h, ADM_DELETE_CQ, 1).status(), "QEMU: without DNR");
            assertEquals(INVALID_QID | DNR, delete(h, ADM_DELETE_SQ, 0).status(), "the admin SQ");
            assertEquals(INVALID_QID | DNR, delete(h, ADM_DELETE_SQ, 2).status());
            assertEquals(0, delete(h, ADM_DELETE_SQ, 1).status());
            assertEquals(INVALID_CQID | DNR, delete(h, ADM_DELETE_CQ, 0).status());
            assertEquals(0, delete(h, ADM_DELETE_CQ, 1).status());
            assertEquals(INVALID_CQID | DNR, delete(h, ADM_DELETE_CQ, 1).status(), "already deleted");
        }
    }

    static Cqe createSq(NvmeHost h, int sqid, long addr, int size, int cqid, int flags) {
        return h.admin(new Cmd(ADM_CREATE_SQ, 0).prp(addr, 0).cdw(10, (size - 1) << 16 | sqid).cdw(11, cqid << 16 | flags));
    }

    static Cqe delete(NvmeHost h, int opcode, int qid) {
        return h.admin(new Cmd(opcode, 0).cdw(10, qid));
    }

    @Test
    void numberOfQueuesFeature() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Cqe c = h.admin(new Cmd(ADM_SET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES).cdw(11, 3 << 16 | 3));
            assertEquals(0, c.status());
            assertEquals(63 << 16 | 63, c.result(), "QEMU grants all 64 pairs whatever is asked");
            c = h.admin(new Cmd(ADM_GET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES));
            assertEquals(63 << 16 | 63, c.result());
            assertEquals(INVALID_FIELD | DNR, h.admin(new Cmd(ADM_SET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES)
                    .cdw(11, 0xffff)).status(), "NSQR FFFFh");
            assertEquals(FID_NOT_SAVEABLE | DNR, h.admin(new Cmd(ADM_SET_FEATURES, 0)
                    .cdw(10, 1 << 31 | FID_NUMBER_OF_QUEUES)).status());
            assertEquals(FEAT_NOT_NS_SPEC | DNR, h.admin(new Cmd(ADM_SET_FEATURES, 1).cdw(10, FID_NUMBER_OF_QUEUES)).status());
            assertEquals(4, h.admin(new Cmd(ADM_GET_FEATURES, 0).cdw(10, 3 << 8 | FID_NUMBER_OF_QUEUES)).result(),
                    "SEL 3: changeable");
            h.createPair(1, 4, 0, false);
            assertEquals(CMD_SEQ_ERROR | DNR, h.admin(new Cmd(ADM_SET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES)).status(),
                    "after a queue was created");
        }
    }
}
