package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.emul.mem.UserCopy;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * VFIO_EEH_PE_OP on a {@link TceContainer} ({@code vfio_spapr_ioctl_eeh_pe_op}, merged into
 * drivers/vfio/vfio_iommu_spapr_tce.c since 6.2). Without EEH (the observed guest) every group
 * answers ENODEV; with EEH a minimal hypothetical PE state machine answers.
 */
final class TceEeh {
    private final TceContainer c;
    private final List<Integer> eehState = new ArrayList<>(); // per group: 0 or VFIO_EEH_PE_STATE_STOPPED

    TceEeh(TceContainer c) {
        this.c = c;
    }

    /**
     * VFIO_EEH_PE_OP. Without EEH (the observed guest) every group answers ENODEV before the
     * argument is read. With {@code eehSupported} a minimal hypothetical PE state machine answers.
     */
    long eehPeOp(MemorySegment seg) {
        long ret = 0;
        for (int g = 0; g < c.groups.size(); g++) {
            if (!c.eeh) {
                return -ENODEV;
            }
            if (!UserCopy.ok(seg, vfio_eeh_pe_op.MINSZ)) {
                return -EFAULT;
            }
            int argsz = vfio_eeh_pe_op.argsz.get(seg);
            if (UserCopy.argszBelow(argsz, vfio_eeh_pe_op.MINSZ) || vfio_eeh_pe_op.flags.get(seg) != 0) {
                return -EINVAL;
            }
            while (eehState.size() <= g) {
                eehState.add(0);
            }
            int op = vfio_eeh_pe_op.op.get(seg);
            switch (op) {
                case VfioUapi.VFIO_EEH_PE_DISABLE, VfioUapi.VFIO_EEH_PE_ENABLE, VfioUapi.VFIO_EEH_PE_CONFIGURE -> ret = 0;
                case VfioUapi.VFIO_EEH_PE_UNFREEZE_IO, VfioUapi.VFIO_EEH_PE_UNFREEZE_DMA,
                        VfioUapi.VFIO_EEH_PE_RESET_DEACTIVATE, VfioUapi.VFIO_EEH_PE_RESET_HOT,
                        VfioUapi.VFIO_EEH_PE_RESET_FUNDAMENTAL -> {
                    eehState.set(g, 0);
                    ret = 0;
                }
                case VfioUapi.VFIO_EEH_PE_GET_STATE -> ret = eehState.get(g);
                case VfioUapi.VFIO_EEH_PE_INJECT_ERR -> {
                    if (UserCopy.argszBelow(argsz, vfio_eeh_pe_op.MINSZ_ERR)) {
                        return -EINVAL;
                    }
                    if (!UserCopy.ok(seg, vfio_eeh_pe_op.MINSZ_ERR)) {
                        return -EFAULT;
                    }
                    int type = vfio_eeh_pe_op.err_type.get(seg);
                    if (type != 0 && type != 1) {
                        return -EINVAL;
                    }
                    eehState.set(g, 2); // VFIO_EEH_PE_STATE_STOPPED
                    ret = 0;
                }
                default -> {
                    return -EINVAL;
                }
            }
            if (ret != 0) {
                return ret;
            }
        }
        return ret;
    }
}
