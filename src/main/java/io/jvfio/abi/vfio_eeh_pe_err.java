package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_eeh_pe_err}: the error-injection part of VFIO_EEH_PE_OP. */
public final class vfio_eeh_pe_err {
    private vfio_eeh_pe_err() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("type"), Ctypes.u32("func"), Ctypes.u64("addr"), Ctypes.u64("mask")).withName("vfio_eeh_pe_err");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 type = U32.of(LAYOUT, "type");
    public static final U32 func = U32.of(LAYOUT, "func");
    public static final U64 addr = U64.of(LAYOUT, "addr");
    public static final U64 mask = U64.of(LAYOUT, "mask");
}
