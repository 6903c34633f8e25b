package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct rlimit} (getrlimit/setrlimit): two {@code rlim_t}, unsigned long on every 64-bit target. */
public final class rlimit {
    private rlimit() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u64("rlim_cur"), Ctypes.u64("rlim_max")).withName("rlimit");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U64 rlim_cur = U64.of(LAYOUT, "rlim_cur");
    public static final U64 rlim_max = U64.of(LAYOUT, "rlim_max");

    /** {@code RLIM_INFINITY}: {@code ~0UL}. */
    public static final long RLIM_INFINITY = -1L;
}
