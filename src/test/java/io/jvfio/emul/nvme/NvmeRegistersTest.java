package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvfio.emul.device.nvme.NvmeCtrl;
import io.jvfio.emul.nvme.NvmeHost.Cmd;
import org.junit.jupiter.api.Test;

/** The register file, enable/disable/shutdown and the start checks of QEMU 7.2's nvme_start_ctrl. */
class NvmeRegistersTest {

    @Test
    void capAndVersionAsQemu() {
        try (NvmeHost h = NvmeHost.memory()) {
            long cap = h.ctrl.mmioRead(REG_CAP, 8);
            assertEquals(0x7ff, cap & 0xffff, "MQES: 2048 entries");
            assertEquals(1, (cap >>> 16) & 1, "CQR: queues physically contiguous");
            assertEquals(0xf, (cap >>> 24) & 0xff, "TO: 7.5 s");
            assertEquals(0, (cap >>> 32) & 0xf, "DSTRD: 4-byte doorbell stride");
            assertEquals(0xc1, (cap >>> 37) & 0xff, "CSS: NVM, CSI, admin only");
            assertEquals(0, (cap >>> 48) & 0xf, "MPSMIN: 4 KiB");
            assertEquals(4, (cap >>> 52) & 0xf, "MPSMAX: 64 KiB");
            assertEquals(cap & 0xffffffffL, h.ctrl.mmioRead(REG_CAP, 4), "low half by a 4-byte read");
            assertEquals(cap >>> 32, h.ctrl.mmioRead(REG_CAP + 4, 4), "high half by a 4-byte read");
            assertEquals(0x7ff, h.ctrl.mmioRead(REG_CAP, 2), "2-byte read");
            assertEquals(0x00010400, h.reg32(REG_VS));
            assertEquals(0, h.reg32(REG_CSTS));
            assertEquals(0, h.ctrl.mmioRead(0x1000, 4), "doorbells read 0");
            assertEquals(0, h.ctrl.mmioRead(0xffc, 8), "an access crossing the last register reads 0");
        }
    }

    @Test
    void badAccessesAreExceptionsNamingTheAccess() {
        try (NvmeHost h = NvmeHost.memory()) {
            assertThrows(IllegalArgumentException.class, () -> h.ctrl.mmioRead(0, 3));
            var e = assertThrows(IndexOutOfBoundsException.class, () -> h.ctrl.mmioWrite(NvmeCtrl.MMIO_SIZE, 0, 4));
            assertEquals(true, e.getMessage().contains("0x2000"), e.getMessage());
        }
    }

    @Test
    void interruptMaskSetAndClearShareOneRegister() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.write32(REG_INTMS, 0x5);
            assertEquals(0x5, h.reg32(REG_INTMS));
            assertEquals(0x5, h.reg32(REG_INTMC), "INTMC reads the mask too");
            h.write32(REG_INTMC, 0x1);
            assertEquals(0x4, h.reg32(REG_INTMS));
        }
    }

    @Test
    void enableDisableAndReset() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            assertEquals(NvmeHost.CC_ENABLE, h.reg32(REG_CC));
            h.write32(REG_CSTS, 0xff);
            assertEquals(CSTS_READY, h.reg32(REG_CSTS), "CSTS is read-only");
            h.write32(REG_CC, 0);
            assertEquals(0, h.reg32(REG_CSTS), "RDY clears at once on disable");
            assertEquals(0, h.reg32(REG_CC));
            // the admin queue is gone: its doorbell is ignored and nothing is fetched
            h.post(h.admin, new Cmd(ADM_IDENTIFY, 0).cdw(10, 1));
            h.ringSq(h.admin);
            assertEquals(null, h.poll(h.admin));
            // enable again with fresh admin queues
            h.enable();
            assertEquals(0, h.admin(new Cmd(ADM_GET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES)).status());
            h.ctrl.reset();
            assertEquals(0, h.reg32(REG_CC), "function reset clears CC");
            assertEquals(0, h.reg32(REG_CSTS));
        }
    }

    @Test
    void startFailuresSetCfsNotRdy() {
        int[][] bad = {
            {8, 1 << 4}, // CSS 1: not supported
            {8, 1 << 16}, // IOSQES 7 instead of 6
            {8, 1 << 20}, // IOCQES 5 instead of 4
        };
        for (int[] b : bad) {
            try (NvmeHost h = NvmeHost.memory()) {
                assertEquals(CSTS_FAILED, h.enable(b[0], b[1]), "CC extra bits " + Integer.toHexString(b[1]));
            }
        }
        try (NvmeHost h = NvmeHost.memory()) {
            assertEquals(CSTS_FAILED, h.enable(1, 0), "AQA 0: 1-entry admin queues are not allowed");
        }
        try (NvmeHost h = NvmeHost.memory()) {
            h.write32(REG_AQA, 7 << 16 | 7);
            h.write32(REG_ASQ, 0x800); // 32-bit halves: low then high
            h.write32(REG_ASQ + 4, 0x08000000);
            assertEquals(0x0800000000000800L, h.ctrl.mmioRead(REG_ASQ, 8));
            h.ctrl.mmioWrite(REG_ACQ, PhbBus.BASE, 8);
            h.write32(REG_CC, NvmeHost.CC_ENABLE);
            assertEquals(CSTS_FAILED, h.reg32(REG_CSTS), "ASQ not page aligned");
            h.write32(REG_CC, 0);
            assertEquals(0, h.reg32(REG_CSTS), "disable clears CFS");
        }
    }

    @Test
    void pagesBeyondMpsmaxAreRefused() {
        try (NvmeHost h = NvmeHost.memory()) {
            long q = h.aligned(17);
            assertEquals(CSTS_FAILED, h.enableAt(q, q + (1 << 17), 8, 5 << 7), "MPS 5 (128 KiB) is beyond MPSMAX 4");
        }
    }

    @Test
    void largestMemoryPageIsAccepted() {
        try (NvmeHost h = NvmeHost.memory()) {
            long q = h.aligned(16);
            assertEquals(CSTS_FAILED, h.enableAt(q, q + 4096, 8, 4 << 7), "ACQ must be aligned to the 64 KiB page");
            h.write32(REG_CC, 0);
            assertEquals(CSTS_READY, h.enableAt(q, q + (1 << 16), 8, 4 << 7), "MPS 4: 64 KiB pages");
        }
    }

    @Test
    void shutdownReportsCompleteAndClears() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            h.write32(REG_CC, NvmeHost.CC_ENABLE | 1 << 14); // SHN normal
            assertEquals(CSTS_READY | CSTS_SHST_COMPLETE, h.reg32(REG_CSTS));
            h.write32(REG_CC, NvmeHost.CC_ENABLE);
            assertEquals(CSTS_READY, h.reg32(REG_CSTS), "clearing SHN clears SHST");
            h.write32(REG_CC, NvmeHost.CC_ENABLE | 2 << 14); // SHN abrupt
            h.write32(REG_CC, 0);
            assertEquals(0, h.reg32(REG_CSTS), "disable: SHST back to normal");
        }
    }
}
