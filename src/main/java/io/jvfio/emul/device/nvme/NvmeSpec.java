package io.jvfio.emul.device.nvme;

/**
 * The NVMe constants the model uses, spelled as QEMU 7.2's include/block/nvme.h spells them:
 * register offsets, CAP/CC/CSTS fields, opcodes and status codes (without the phase bit).
 */
public final class NvmeSpec {
    private NvmeSpec() { }

    // NvmeBar register offsets
    public static final int REG_CAP = 0x00;
    public static final int REG_VS = 0x08;
    public static final int REG_INTMS = 0x0c;
    public static final int REG_INTMC = 0x10;
    public static final int REG_CC = 0x14;
    public static final int REG_CSTS = 0x1c;
    public static final int REG_NSSR = 0x20;
    public static final int REG_AQA = 0x24;
    public static final int REG_ASQ = 0x28;
    public static final int REG_ACQ = 0x30;
    /** sizeof(NvmeBar): the register file; doorbells follow. */
    public static final int BAR_REGS_SIZE = 0x1000;
    /** NVME_DB_SIZE with CAP.DSTRD = 0. */
    public static final int DB_SIZE = 4;

    // CAP fields
    public static final int CAP_CQR_SHIFT = 16;
    public static final int CAP_TO_SHIFT = 24;
    public static final int CAP_DSTRD_SHIFT = 32;
    public static final int CAP_CSS_SHIFT = 37;
    public static final int CAP_MPSMIN_SHIFT = 48;
    public static final int CAP_MPSMAX_SHIFT = 52;
    public static final int CAP_CSS_NVM = 1;
    public static final int CAP_CSS_CSI_SUPP = 1 << 6;
    public static final int CAP_CSS_ADMIN_ONLY = 1 << 7;

    /** NVME_SPEC_VER: NVMe 1.4. */
    public static final int SPEC_VER = 0x00010400;

    // CC fields
    public static int ccEn(int cc) {
        return cc & 1;
    }

    public static int ccCss(int cc) {
        return (cc >>> 4) & 0x7;
    }

    public static int ccMps(int cc) {
        return (cc >>> 7) & 0xf;
    }

    public static int ccShn(int cc) {
        return (cc >>> 14) & 0x3;
    }

    public static int ccIosqes(int cc) {
        return (cc >>> 16) & 0xf;
    }

    public static int ccIocqes(int cc) {
        return (cc >>> 20) & 0xf;
    }

    // CSTS
    public static final int CSTS_READY = 1;
    public static final int CSTS_FAILED = 1 << 1;
    public static final int CSTS_SHST_MASK = 0x3 << 2;
    public static final int CSTS_SHST_COMPLETE = 2 << 2;

    // admin opcodes
    public static final int ADM_DELETE_SQ = 0x00;
    public static final int ADM_CREATE_SQ = 0x01;
    public static final int ADM_GET_LOG_PAGE = 0x02;
    public static final int ADM_DELETE_CQ = 0x04;
    public static final int ADM_CREATE_CQ = 0x05;
    public static final int ADM_IDENTIFY = 0x06;
    public static final int ADM_ABORT = 0x08;
    public static final int ADM_SET_FEATURES = 0x09;
    public static final int ADM_GET_FEATURES = 0x0a;
    public static final int ADM_ASYNC_EV_REQ = 0x0c;

    // NVM opcodes
    public static final int CMD_FLUSH = 0x00;
    public static final int CMD_WRITE = 0x01;
    public static final int CMD_READ = 0x02;

    // identify CNS
    public static final int ID_CNS_NS = 0x00;
    public static final int ID_CNS_CTRL = 0x01;
    public static final int ID_CNS_NS_ACTIVE_LIST = 0x02;
    public static final int IDENTIFY_DATA_SIZE = 4096;

    // features
    public static final int FID_NUMBER_OF_QUEUES = 0x07;
    public static final int FID_ASYNC_EVENT_CONF = 0x0b;

    // log pages, async events
    public static final int LOG_ERROR_INFO = 0x01;
    public static final int AER_TYPE_ERROR = 0;
    public static final int AER_INFO_ERR_INVALID_DB_REGISTER = 0;
    public static final int AER_INFO_ERR_INVALID_DB_VALUE = 1;

    public static final int NSID_BROADCAST = 0xffffffff;
    public static final int MAX_NAMESPACES = 256;

    // status codes (NvmeStatusCodes)
    public static final int SUCCESS = 0x0000;
    public static final int INVALID_OPCODE = 0x0001;
    public static final int INVALID_FIELD = 0x0002;
    public static final int DATA_TRAS_ERROR = 0x0004;
    public static final int INTERNAL_DEV_ERROR = 0x0006;
    public static final int INVALID_NSID = 0x000b;
    public static final int CMD_SEQ_ERROR = 0x000c;
    public static final int INVALID_PRP_OFFSET = 0x0013;
    public static final int LBA_RANGE = 0x0080;
    public static final int INVALID_CQID = 0x0100;
    public static final int INVALID_QID = 0x0101;
    public static final int MAX_QSIZE_EXCEEDED = 0x0102;
    public static final int AER_LIMIT_EXCEEDED = 0x0105;
    public static final int INVALID_IRQ_VECTOR = 0x0108;
    public static final int INVALID_QUEUE_DEL = 0x010c;
    public static final int FID_NOT_SAVEABLE = 0x010d;
    public static final int FEAT_NOT_CHANGEABLE = 0x010e;
    public static final int FEAT_NOT_NS_SPEC = 0x010f;
    public static final int WRITE_FAULT = 0x0280;
    public static final int UNRECOVERED_READ = 0x0281;
    public static final int DNR = 0x4000;
    /** The model's NVME_NO_COMPLETE: the command completes later (an AER). */
    static final int NO_COMPLETE = 0xffff;
}
