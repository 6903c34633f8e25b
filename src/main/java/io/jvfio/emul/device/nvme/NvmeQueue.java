package io.jvfio.emul.device.nvme;

import java.util.ArrayDeque;

/**
 * NvmeSQueue and NvmeCQueue of hw/nvme/nvme.h: the ring state the controller keeps. A submission
 * queue owns {@code size} request slots (QEMU's io_req); a command holds one from its fetch until its
 * completion entry is posted, which is what stops fetching while the CQ is full.
 */
final class NvmeQueue {
    private NvmeQueue() { }

    /** A command between fetch and posted completion (NvmeRequest). */
    static final class Request {
        final Sq sq;
        final int cid;
        final int opcode;
        int status;
        int result;

        Request(Sq sq, int cid, int opcode) {
            this.sq = sq;
            this.cid = cid;
            this.opcode = opcode;
        }
    }

    /** Submission queue. */
    static final class Sq {
        final int sqid;
        final int cqid;
        final long dmaAddr;
        final int size;
        int head;
        int tail;
        int freeRequests;
        boolean scheduled;

        Sq(int sqid, int cqid, long dmaAddr, int size) {
            this.sqid = sqid;
            this.cqid = cqid;
            this.dmaAddr = dmaAddr;
            this.size = size;
            this.freeRequests = size;
        }

        boolean empty() {
            return head == tail;
        }
    }

    /** Completion queue. */
    static final class Cq {
        final int cqid;
        final long dmaAddr;
        final int size;
        final int vector;
        final boolean irqEnabled;
        int head;
        int tail;
        boolean phase = true;
        int sqCount;
        boolean scheduled;
        final ArrayDeque<Request> pending = new ArrayDeque<>();

        Cq(int cqid, long dmaAddr, int size, int vector, boolean irqEnabled) {
            this.cqid = cqid;
            this.dmaAddr = dmaAddr;
            this.size = size;
            this.vector = vector;
            this.irqEnabled = irqEnabled;
        }

        boolean full() {
            return (tail + 1) % size == head;
        }

        void incTail() {
            tail++;
            if (tail >= size) {
                tail = 0;
                phase = !phase;
            }
        }
    }
}
