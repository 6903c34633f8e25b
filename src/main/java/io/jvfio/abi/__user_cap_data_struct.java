package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/**
 * {@code struct __user_cap_data_struct} (linux/capability.h): one 32-bit word of each capability set;
 * version 3 passes an array of two (capabilities 0-31, then 32-63).
 */
public final class __user_cap_data_struct {
    private __user_cap_data_struct() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("effective"), Ctypes.u32("permitted"), Ctypes.u32("inheritable"))
            .withName("__user_cap_data_struct");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 effective = U32.of(LAYOUT, "effective");
    public static final U32 permitted = U32.of(LAYOUT, "permitted");
    public static final U32 inheritable = U32.of(LAYOUT, "inheritable");

    /** {@code CAP_DAC_OVERRIDE}. */
    public static final int CAP_DAC_OVERRIDE = 1;
    /** {@code CAP_DAC_READ_SEARCH}. */
    public static final int CAP_DAC_READ_SEARCH = 2;
    /** {@code CAP_IPC_LOCK}. */
    public static final int CAP_IPC_LOCK = 14;
}
