package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jvfio.emul.nvme.NvmeHost.Cmd;
import io.jvfio.emul.nvme.NvmeHost.Cqe;
import io.jvfio.emul.nvme.NvmeHost.Queue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Rings: the phase tag, a full CQ, MSI-X per CQ, and what QEMU does with doorbell misuse. */
class NvmeQueueTest {

    @Test
    void phaseTagFlipsOnEveryWrapOfASmallQueue() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 2, 0, false); // 2 entries each
            for (int i = 0; i < 7; i++) {
                boolean expected = (i / 2) % 2 == 0; // entries 0,1 phase 1; 2,3 phase 0; ...
                Cqe c = h.run(q, new Cmd(CMD_FLUSH, 1));
                assertEquals(expected, c.phase(), "completion " + i);
                assertEquals((i + 1) % 2, c.sqHead(), "SQ head wraps too");
            }
        }
    }

    @Test
    void fullCompletionQueueHoldsCompletionsUntilTheHeadMoves() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            long cq = h.bus.alloc(4096);
            long sq = h.bus.alloc(4096);
            assertEquals(0, h.admin(NvmeHost.createCq(1, cq, 2, 0, false)).status());
            assertEquals(0, NvmeAdminTest.createSq(h, 1, sq, 4, 1, 1).status());
            Queue q = new Queue(1, sq, cq, 4, 2);
            int a = h.post(q, new Cmd(CMD_FLUSH, 1));
            int b = h.post(q, new Cmd(CMD_FLUSH, 1));
            int c = h.post(q, new Cmd(CMD_FLUSH, 1));
            h.ringSq(q);
            Cqe first = h.poll(q);
            assertEquals(a, first.cid());
            assertEquals(3, first.sqHead(), "all three fetched before the first completion was posted");
            assertNull(h.poll(q), "a CQ of 2 entries holds 1 completion");
            h.ringCq(q);
            Cqe second = h.poll(q);
            assertEquals(b, second.cid(), "posted when the head moved");
            assertNull(h.poll(q));
            h.ringCq(q);
            assertEquals(c, h.poll(q).cid());
            assertEquals(false, q.phase, "wrapped once");
        }
    }

    @Test
    void msixVectorPerCompletionQueue() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.irq.enabled = true;
            h.enable();
            assertEquals(List.of(), h.irq.raised, "no interrupt before a completion");
            h.admin(new Cmd(ADM_GET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES));
            assertEquals(List.of(0), h.irq.raised, "the admin CQ uses vector 0");
            h.irq.raised.clear();
            Queue q1 = h.createPair(1, 4, 5, true);
            Queue q2 = h.createPair(2, 4, 6, false);
            h.irq.raised.clear();
            h.run(q1, new Cmd(CMD_FLUSH, 1));
            h.run(q2, new Cmd(CMD_FLUSH, 1));
            assertEquals(List.of(5), h.irq.raised, "IEN set: vector 5; IEN clear: nothing");
            h.irq.raised.clear();
            h.irq.enabled = false;
            h.run(q1, new Cmd(CMD_FLUSH, 1));
            assertEquals(List.of(), h.irq.raised, "MSI-X disabled: no message");
        }
    }

    /** One queue pair per thread, as the driver uses them: every thread's data comes back intact. */
    @Test
    void queuePairsOnSeveralThreads() throws Exception {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            int threads = 4;
            Queue[] qs = new Queue[threads];
            long[] bufs = new long[threads];
            for (int t = 0; t < threads; t++) {
                qs[t] = h.createPair(t + 1, 4, 0, false);
                bufs[t] = h.bus.alloc(2 * 4096);
            }
            List<Callable<Boolean>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                work.add(() -> {
                    for (int i = 0; i < 50; i++) {
                        byte[] data = NvmeIoTest.pattern(4096, id * 1000 + i);
                        h.bus.fill(bufs[id], data);
                        long lba = id * 8L;
                        if (h.run(qs[id], NvmeHost.rw(CMD_WRITE, lba, 8, bufs[id], 0)).status() != 0
                                || h.run(qs[id], NvmeHost.rw(CMD_READ, lba, 8, bufs[id] + 4096, 0)).status() != 0
                                || !Arrays.equals(data, h.bus.bytes(bufs[id] + 4096, 4096))) {
                            return false;
                        }
                    }
                    return true;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (Future<Boolean> f : pool.invokeAll(work)) {
                    assertEquals(true, f.get(), "a thread's write/read cycle");
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void doorbellMisuseIsIgnored() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue q = h.createPair(1, 4, 0, false);
            h.write32(0x1000 + 8 * 9, 1); // SQ 9 does not exist
            h.write32(0x1000 + 8 * 9 + 4, 1); // neither does CQ 9
            h.write32(0x1000 + 8 * 65, 1); // beyond the 64 pairs
            h.ctrl.mmioWrite(0x1000 + 8 + 2, 1, 2); // misaligned
            h.post(q, new Cmd(CMD_FLUSH, 1));
            h.write32(0x1000 + 8, 4); // tail = size: beyond the queue
            assertNull(h.poll(q), "an SQ tail beyond the queue is ignored");
            h.write32(0x1000 + 8 + 4, 4); // CQ head beyond the queue: ignored
            assertEquals(CSTS_READY, h.reg32(REG_CSTS), "no controller fatal status for any of them");
            h.post(q, new Cmd(CMD_FLUSH, 1));
            h.ringSq(q); // a valid tail: the ring still works
            assertNotNull(h.poll(q));
            Cqe c = h.poll(q);
            assertEquals(0, c.status());
            assertEquals(2, c.sqHead(), "both entries ran once the valid tail was written");
        }
    }

    @Test
    void doorbellMisuseCompletesAnOutstandingAsyncEventRequest() {
        try (NvmeHost h = NvmeHost.memory()) {
            h.enable();
            Queue aq = h.admin;
            int aer = h.post(aq, new Cmd(ADM_ASYNC_EV_REQ, 0));
            h.ringSq(aq);
            assertNull(h.poll(aq), "an AER waits");
            h.write32(0x1000 + 8 * 3, 1); // SQ 3 does not exist
            Cqe ev = h.poll(aq);
            assertNotNull(ev);
            assertEquals(aer, ev.cid());
            assertEquals(AER_TYPE_ERROR | AER_INFO_ERR_INVALID_DB_REGISTER << 8 | LOG_ERROR_INFO << 16, ev.result());
            h.ringCq(aq);
            // a second AER; a bad value is an event of the same type: masked until the log is read
            h.post(aq, new Cmd(ADM_ASYNC_EV_REQ, 0));
            h.ringSq(aq);
            h.write32(0x1000 + 4, 100); // admin CQ head beyond its 8 entries
            assertNull(h.poll(aq), "error events masked");
            long log = h.bus.alloc(4096);
            Cqe lc = h.admin(new Cmd(ADM_GET_LOG_PAGE, 0).prp(log, 0).cdw(10, 15 << 16 | LOG_ERROR_INFO));
            assertEquals(0, lc.status());
            assertNull(h.poll(aq), "reading the log dropped the queued event");
            h.write32(0x1000 + 4, 100);
            ev = h.poll(aq);
            assertNotNull(ev, "unmasked again");
            assertEquals(AER_TYPE_ERROR | AER_INFO_ERR_INVALID_DB_VALUE << 8 | LOG_ERROR_INFO << 16, ev.result());
            h.ringCq(aq);
            for (int i = 0; i < 5; i++) { // AERL 3 is 0's based: four may wait, the fifth fails
                h.post(aq, new Cmd(ADM_ASYNC_EV_REQ, 0));
            }
            h.ringSq(aq);
            Cqe limit = h.poll(aq);
            assertEquals(AER_LIMIT_EXCEEDED, limit.status(), "a fifth outstanding AER");
        }
    }
}
