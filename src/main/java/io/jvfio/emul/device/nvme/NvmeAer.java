package io.jvfio.emul.device.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.AER_LIMIT_EXCEEDED;
import static io.jvfio.emul.device.nvme.NvmeSpec.NO_COMPLETE;

import io.jvfio.emul.device.nvme.NvmeQueue.Request;
import java.util.ArrayDeque;

/**
 * Asynchronous events (nvme_aer, nvme_enqueue_event, nvme_process_aers, nvme_clear_events of
 * hw/nvme/ctrl.c): outstanding ASYNCHRONOUS EVENT REQUEST commands, the bounded event queue and the
 * per-type mask that a completed event sets until its log page is read.
 */
final class NvmeAer {
    static final int AERL = 3;
    static final int AER_MAX_QUEUED = 64;

    private final NvmeCtrl n;
    private final ArrayDeque<Request> reqs = new ArrayDeque<>();
    private final ArrayDeque<int[]> queue = new ArrayDeque<>();
    private int mask;

    NvmeAer(NvmeCtrl n) {
        this.n = n;
    }

    boolean outstanding() {
        return !reqs.isEmpty();
    }

    /** nvme_aer: held until an event arrives; at most AERL + 1 outstanding. */
    int request(Request req) {
        if (reqs.size() > AERL) {
            return AER_LIMIT_EXCEEDED;
        }
        reqs.add(req);
        process();
        return NO_COMPLETE;
    }

    /** nvme_enqueue_event: queue (bounded) and deliver to a waiting AER. */
    void enqueue(int type, int info, int logPage) {
        if (queue.size() == AER_MAX_QUEUED) {
            return;
        }
        queue.add(new int[] {type, info, logPage});
        process();
    }

    /** nvme_process_aers: an unmasked event completes the latest AER and masks its type. */
    private void process() {
        for (var it = queue.iterator(); it.hasNext(); ) {
            int[] ev = it.next();
            if (reqs.isEmpty()) {
                break;
            }
            if ((mask & (1 << ev[0])) != 0) {
                continue;
            }
            it.remove();
            mask |= 1 << ev[0];
            Request req = reqs.pollLast();
            req.result = ev[0] | ev[1] << 8 | ev[2] << 16;
            n.enqueueCompletion(n.cqs[0], req);
        }
    }

    /** nvme_clear_events: reading the log page (without RAE) unmasks and drops events of a type. */
    void clear(int type) {
        mask &= ~(1 << type);
        queue.removeIf(ev -> ev[0] == type);
    }

    /** nvme_ctrl_reset's part: events and outstanding requests dropped, nothing masked. */
    void reset() {
        queue.clear();
        reqs.clear();
        mask = 0;
    }
}
