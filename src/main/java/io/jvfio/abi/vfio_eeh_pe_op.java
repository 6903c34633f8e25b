package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_eeh_pe_op}: VFIO_EEH_PE_OP; the kernel needs argsz >= 12, and >= 40 for INJECT_ERR. */
public final class vfio_eeh_pe_op {
    private vfio_eeh_pe_op() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("op"), MemoryLayout.paddingLayout(4),
            // a union with one member: laid out as that member
            vfio_eeh_pe_err.LAYOUT.withName("err")).withName("vfio_eeh_pe_op");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 op = U32.of(LAYOUT, "op");
    public static final U32 err_type = U32.of(LAYOUT, "err", "type");
    public static final U32 err_func = U32.of(LAYOUT, "err", "func");
    public static final U64 err_addr = U64.of(LAYOUT, "err", "addr");
    public static final U64 err_mask = U64.of(LAYOUT, "err", "mask");

    /** The kernel's {@code minsz} for VFIO_EEH_PE_OP: {@code offsetofend(op)}. */
    public static final long MINSZ = op.end();
    /** The {@code minsz} of VFIO_EEH_PE_INJECT_ERR: {@code offsetofend(err)}. */
    public static final long MINSZ_ERR = err_mask.end();

    /** Fills {@code s} as a complete VFIO_EEH_PE_OP argument for an operation without the err part. */
    public static MemorySegment fill(MemorySegment s, int peOp) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        op.set(s, peOp);
        return s;
    }
}
