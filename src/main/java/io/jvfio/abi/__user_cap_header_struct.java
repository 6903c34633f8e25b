package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct __user_cap_header_struct} (linux/capability.h): capget/capset's first argument. */
public final class __user_cap_header_struct {
    private __user_cap_header_struct() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("version"), Ctypes.u32("pid")).withName("__user_cap_header_struct");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 version = U32.of(LAYOUT, "version");
    public static final U32 pid = U32.of(LAYOUT, "pid");

    /** {@code _LINUX_CAPABILITY_VERSION_3}: two {@link __user_cap_data_struct}s, 64 capability bits. */
    public static final int _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
}
