package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_device_feature}: VFIO_DEVICE_FEATURE; {@code data[]} follows at {@link #SIZE}. */
public final class vfio_device_feature {
    private vfio_device_feature() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags")).withName("vfio_device_feature");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");

    /** The kernel's {@code minsz} for VFIO_DEVICE_FEATURE: {@code offsetofend(flags)}. */
    public static final long MINSZ = flags.end();
}
