package io.jvfio.emul.device.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;

import io.jvfio.emul.device.nvme.NvmeQueue.Request;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The NVM command set as QEMU 7.2's nvme_io_cmd, nvme_read, nvme_do_write and nvme_flush check and
 * run it for namespace 1 (512-byte blocks, no metadata, no protection information): READ, WRITE and
 * FLUSH. The other NVM opcodes QEMU implements (write zeroes, compare, DSM, verify, copy) and SGL
 * data pointers are answered Invalid Opcode and Invalid Field here.
 */
final class NvmeIo {
    private final NvmeCtrl n;

    NvmeIo(NvmeCtrl n) {
        this.n = n;
    }

    int execute(NvmeCmd cmd, Request req) {
        int nsid = cmd.nsid();
        if (!NvmeAdmin.nsidValid(nsid)) {
            return INVALID_NSID | DNR;
        }
        if (cmd.opcode() == CMD_FLUSH) {
            return flush(nsid);
        }
        if (nsid != 1) {
            return INVALID_FIELD | DNR; // no such namespace (broadcast included)
        }
        if (cmd.opcode() != CMD_READ && cmd.opcode() != CMD_WRITE) {
            return INVALID_OPCODE | DNR;
        }
        if (cmd.fuse() != 0) {
            return INVALID_FIELD;
        }
        return readWrite(cmd, cmd.opcode() == CMD_WRITE);
    }

    /** nvme_read / nvme_do_write: MDTS, then bounds, then the data pointer. */
    private int readWrite(NvmeCmd cmd, boolean write) {
        long slba = cmd.cdw10to11();
        int nlb = (cmd.cdw(12) & 0xffff) + 1;
        long len = (long) nlb * NvmeNamespace.LBA_SIZE;
        int status = n.checkMdts(len);
        if (status == SUCCESS) {
            status = checkBounds(slba, nlb);
        }
        if (status == SUCCESS && cmd.psdt() != 0) {
            status = INVALID_FIELD; // SGL: not modelled
        }
        NvmePrp.Sg sg = null;
        if (status == SUCCESS) {
            sg = n.prp.map(cmd.prp1(), cmd.prp2(), len);
            status = sg.status;
        }
        if (status != SUCCESS) {
            return status | DNR;
        }
        MemorySegment buf = MemorySegment.ofArray(new byte[(int) len]);
        long off = slba * NvmeNamespace.LBA_SIZE;
        try {
            if (write) {
                n.prp.transfer(sg, buf, false);
                n.ns.write(off, buf);
            } else {
                n.ns.read(off, buf);
                n.prp.transfer(sg, buf, true);
            }
        } catch (IOException e) {
            return write ? WRITE_FAULT : UNRECOVERED_READ; // nvme_rw_complete_cb, without DNR
        }
        return SUCCESS;
    }

    /** nvme_check_bounds. */
    private int checkBounds(long slba, int nlb) {
        long nsze = n.ns.blocks();
        if (Long.compareUnsigned(-1L - slba, nlb) < 0 || Long.compareUnsigned(slba + nlb, nsze) > 0) {
            return LBA_RANGE | DNR;
        }
        return SUCCESS;
    }

    /** nvme_flush: one namespace or all (broadcast); an I/O error is Internal Device Error. */
    private int flush(int nsid) {
        if (nsid != NSID_BROADCAST && nsid != 1) {
            return INVALID_FIELD | DNR;
        }
        try {
            n.ns.flush();
        } catch (IOException e) {
            return INTERNAL_DEV_ERROR;
        }
        return SUCCESS;
    }
}
