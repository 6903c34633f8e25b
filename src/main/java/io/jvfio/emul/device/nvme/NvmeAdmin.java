package io.jvfio.emul.device.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;

import io.jvfio.emul.device.nvme.NvmeQueue.Cq;
import io.jvfio.emul.device.nvme.NvmeQueue.Request;
import io.jvfio.emul.device.nvme.NvmeQueue.Sq;
import java.lang.foreign.MemorySegment;

/**
 * The admin command set of hw/nvme/ctrl.c (nvme_admin_cmd and the handlers it dispatches to), with
 * QEMU 7.2's checks in QEMU's order and QEMU's status codes. Supported: DELETE/CREATE I/O SQ and
 * CQ, GET LOG PAGE (error information only), IDENTIFY (CNS 0, 1, 2; the other CNS values QEMU
 * knows return an empty structure or Invalid Field here), ABORT, SET/GET FEATURES (number of
 * queues, asynchronous event configuration), ASYNCHRONOUS EVENT REQUEST.
 */
final class NvmeAdmin {
    private static final int ERROR_LOG_SIZE = 64; // sizeof(NvmeErrorLog)
    private final NvmeCtrl n;
    private int asyncConfig;

    NvmeAdmin(NvmeCtrl n) {
        this.n = n;
    }

    int execute(NvmeCmd cmd, Request req) {
        int status = switch (cmd.opcode()) {
            case ADM_DELETE_SQ, ADM_CREATE_SQ, ADM_GET_LOG_PAGE, ADM_DELETE_CQ, ADM_CREATE_CQ, ADM_IDENTIFY,
                    ADM_ABORT, ADM_SET_FEATURES, ADM_GET_FEATURES, ADM_ASYNC_EV_REQ -> SUCCESS;
            default -> INVALID_OPCODE | DNR;
        };
        if (status != SUCCESS) {
            return status;
        }
        if (cmd.psdt() != 0) {
            return INVALID_FIELD | DNR; // SGLs shall not be used for admin commands over PCIe
        }
        if (cmd.fuse() != 0) {
            return INVALID_FIELD;
        }
        return switch (cmd.opcode()) {
            case ADM_DELETE_SQ -> deleteSq(cmd);
            case ADM_CREATE_SQ -> createSq(cmd);
            case ADM_GET_LOG_PAGE -> getLog(cmd);
            case ADM_DELETE_CQ -> deleteCq(cmd);
            case ADM_CREATE_CQ -> createCq(cmd);
            case ADM_IDENTIFY -> identify(cmd);
            case ADM_ABORT -> {
                req.result = 1; // command not aborted
                yield SUCCESS;
            }
            case ADM_SET_FEATURES -> setFeature(cmd, req);
            case ADM_GET_FEATURES -> getFeature(cmd, req);
            default -> n.aer.request(req);
        };
    }

    /** nvme_create_cq. */
    private int createCq(NvmeCmd cmd) {
        int cqid = cmd.cdw(10) & 0xffff;
        int qsize = cmd.cdw(10) >>> 16;
        int qflags = cmd.cdw(11) & 0xffff;
        int vector = cmd.cdw(11) >>> 16;
        long prp1 = cmd.prp1();
        if (cqid == 0 || cqid > NvmeCtrl.MAX_IOQPAIRS || n.cqs[cqid] != null) {
            return INVALID_QID | DNR;
        }
        int status = checkSizeAndBase(qsize, prp1);
        if (status != SUCCESS) {
            return status;
        }
        if (!n.irq.msixEnabled() && vector != 0) {
            return INVALID_IRQ_VECTOR | DNR;
        }
        if (vector >= NvmeCtrl.MSIX_QSIZE) {
            return INVALID_IRQ_VECTOR | DNR;
        }
        if ((qflags & 1) == 0) {
            return INVALID_FIELD | DNR; // not physically contiguous: CAP.CQR
        }
        n.cqs[cqid] = new Cq(cqid, prp1, qsize + 1, vector, (qflags & 2) != 0);
        n.qsCreated = true;
        return SUCCESS;
    }

    /** nvme_create_sq. */
    private int createSq(NvmeCmd cmd) {
        int sqid = cmd.cdw(10) & 0xffff;
        int qsize = cmd.cdw(10) >>> 16;
        int qflags = cmd.cdw(11) & 0xffff;
        int cqid = cmd.cdw(11) >>> 16;
        long prp1 = cmd.prp1();
        if (cqid == 0 || !n.validCqid(cqid)) {
            return INVALID_CQID | DNR;
        }
        if (sqid == 0 || sqid > NvmeCtrl.MAX_IOQPAIRS || n.sqs[sqid] != null) {
            return INVALID_QID | DNR;
        }
        int status = checkSizeAndBase(qsize, prp1);
        if (status != SUCCESS) {
            return status;
        }
        if ((qflags & 1) == 0) {
            return INVALID_FIELD | DNR;
        }
        n.initSq(new Sq(sqid, cqid, prp1, qsize + 1));
        return SUCCESS;
    }

    /** The size (0's based, at most CAP.MQES) and page alignment checks both creations make. */
    private int checkSizeAndBase(int qsize, long prp1) {
        if (qsize == 0 || qsize > n.capMqes()) {
            return MAX_QSIZE_EXCEEDED | DNR;
        }
        if ((prp1 & (n.pageSize - 1)) != 0) {
            return INVALID_PRP_OFFSET | DNR;
        }
        return SUCCESS;
    }

    /** nvme_del_sq: completions the CQ cannot take now are dropped with the queue. */
    private int deleteSq(NvmeCmd cmd) {
        int qid = cmd.cdw(10) & 0xffff;
        if (qid == 0 || !n.validSqid(qid)) {
            return INVALID_QID | DNR;
        }
        Sq sq = n.sqs[qid];
        Cq cq = n.cqs[sq.cqid];
        cq.sqCount--;
        n.sqs[qid] = null;
        cq.pending.removeIf(r -> r.sq == sq);
        return SUCCESS;
    }

    /** nvme_del_cq. */
    private int deleteCq(NvmeCmd cmd) {
        int qid = cmd.cdw(10) & 0xffff;
        if (qid == 0 || !n.validCqid(qid)) {
            return INVALID_CQID | DNR;
        }
        if (n.cqs[qid].sqCount != 0) {
            return INVALID_QUEUE_DEL; // QEMU returns it without DNR
        }
        n.cqs[qid] = null;
        return SUCCESS;
    }

    /** nvme_identify for CNS 0, 1 and 2. */
    private int identify(NvmeCmd cmd) {
        int cns = cmd.cdw(10) & 0xff;
        int nsid = cmd.nsid();
        byte[] data;
        switch (cns) {
            case ID_CNS_NS -> {
                if (!nsidValid(nsid) || nsid == NSID_BROADCAST) {
                    return INVALID_NSID | DNR;
                }
                data = nsid == 1 ? n.ns.identify() : new byte[IDENTIFY_DATA_SIZE];
            }
            case ID_CNS_CTRL -> data = NvmeIdentify.controller(n.serial);
            case ID_CNS_NS_ACTIVE_LIST -> {
                if (Integer.compareUnsigned(nsid, NSID_BROADCAST - 1) >= 0) {
                    return INVALID_NSID | DNR;
                }
                data = new byte[IDENTIFY_DATA_SIZE];
                if (Integer.compareUnsigned(nsid, 1) < 0) {
                    data[0] = 1; // namespace 1 is the only one
                }
            }
            default -> {
                return INVALID_FIELD | DNR;
            }
        }
        return c2h(cmd, MemorySegment.ofArray(data));
    }

    /** nvme_c2h: map the command's PRPs and move {@code data} to the host. */
    int c2h(NvmeCmd cmd, MemorySegment data) {
        NvmePrp.Sg sg = n.prp.map(cmd.prp1(), cmd.prp2(), data.byteSize());
        if (sg.status != SUCCESS) {
            return sg.status;
        }
        n.prp.transfer(sg, data, true);
        return SUCCESS;
    }

    static boolean nsidValid(int nsid) {
        return nsid != 0 && (nsid == NSID_BROADCAST || Integer.compareUnsigned(nsid, MAX_NAMESPACES) <= 0);
    }

    /** nvme_get_log: only the error information page (always empty). */
    private int getLog(NvmeCmd cmd) {
        int dw10 = cmd.cdw(10);
        int lid = dw10 & 0xff;
        boolean rae = ((dw10 >>> 15) & 1) != 0;
        long numd = ((long) (cmd.cdw(11) & 0xffff) << 16 | (dw10 >>> 16)) + 1;
        long len = numd << 2;
        long off = (Integer.toUnsignedLong(cmd.cdw(13)) << 32) | Integer.toUnsignedLong(cmd.cdw(12));
        if ((off & 3) != 0) {
            return INVALID_FIELD | DNR;
        }
        int status = n.checkMdts(len);
        if (status != SUCCESS) {
            return status;
        }
        if (lid != LOG_ERROR_INFO) {
            return INVALID_FIELD | DNR; // SMART, firmware, changed namespaces, effects: not modelled
        }
        if (Long.compareUnsigned(off, ERROR_LOG_SIZE) >= 0) {
            return INVALID_FIELD | DNR;
        }
        if (!rae) {
            n.aer.clear(AER_TYPE_ERROR);
        }
        return c2h(cmd, MemorySegment.ofArray(new byte[(int) Math.min(ERROR_LOG_SIZE - off, len)]));
    }

    /** nvme_set_feature for the features modelled; QEMU's others are reported Invalid Field here. */
    private int setFeature(NvmeCmd cmd, Request req) {
        int dw10 = cmd.cdw(10);
        int dw11 = cmd.cdw(11);
        int fid = dw10 & 0xff;
        boolean save = (dw10 >>> 31) != 0;
        if (save) {
            return FID_NOT_SAVEABLE | DNR;
        }
        int nsid = cmd.nsid();
        if (fid == FID_NUMBER_OF_QUEUES || fid == FID_ASYNC_EVENT_CONF) {
            if (nsid != 0 && nsid != NSID_BROADCAST) {
                return nsidValid(nsid) ? FEAT_NOT_NS_SPEC | DNR : INVALID_NSID | DNR;
            }
        }
        switch (fid) {
            case FID_NUMBER_OF_QUEUES -> {
                if (n.qsCreated) {
                    return CMD_SEQ_ERROR | DNR;
                }
                if ((dw11 & 0xffff) == 0xffff || (dw11 >>> 16) == 0xffff) {
                    return INVALID_FIELD | DNR;
                }
                req.result = numberOfQueues(); // always what the controller has, whatever was asked
                return SUCCESS;
            }
            case FID_ASYNC_EVENT_CONF -> {
                asyncConfig = dw11;
                return SUCCESS;
            }
            default -> {
                return INVALID_FIELD | DNR;
            }
        }
    }

    /** nvme_get_feature: current, default and saved values are the same for these features. */
    private int getFeature(NvmeCmd cmd, Request req) {
        int dw10 = cmd.cdw(10);
        int fid = dw10 & 0xff;
        int sel = (dw10 >>> 8) & 0x7;
        if (fid != FID_NUMBER_OF_QUEUES && fid != FID_ASYNC_EVENT_CONF) {
            return INVALID_FIELD | DNR;
        }
        boolean current = sel == 0 || sel > 3; // QEMU's switch has no case for 4 to 7
        if (sel == 3) {
            req.result = 0x4; // NVME_FEAT_CAP_CHANGE
        } else if (fid == FID_NUMBER_OF_QUEUES) {
            req.result = numberOfQueues();
        } else {
            req.result = current ? asyncConfig : 0;
        }
        return SUCCESS;
    }

    private static int numberOfQueues() {
        return (NvmeCtrl.MAX_IOQPAIRS - 1) | (NvmeCtrl.MAX_IOQPAIRS - 1) << 16;
    }
}
