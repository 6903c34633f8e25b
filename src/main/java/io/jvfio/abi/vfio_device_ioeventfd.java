package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_device_ioeventfd}: VFIO_DEVICE_IOEVENTFD; fd is {@code __s32}, -1 to de-assign. */
public final class vfio_device_ioeventfd {
    private vfio_device_ioeventfd() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u64("offset"), Ctypes.u64("data"), Ctypes.u32("fd"), MemoryLayout.paddingLayout(4)).withName("vfio_device_ioeventfd");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U64 offset = U64.of(LAYOUT, "offset");
    public static final U64 data = U64.of(LAYOUT, "data");
    public static final U32 fd = U32.of(LAYOUT, "fd");

    /** The kernel's {@code minsz} for VFIO_DEVICE_IOEVENTFD: {@code offsetofend(fd)}. */
    public static final long MINSZ = fd.end();
}
