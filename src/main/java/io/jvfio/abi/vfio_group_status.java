package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_group_status}: VFIO_GROUP_GET_STATUS; flags is out. */
public final class vfio_group_status {
    private vfio_group_status() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags")).withName("vfio_group_status");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");

    /** The kernel's {@code minsz} for VFIO_GROUP_GET_STATUS: {@code offsetofend(flags)}. */
    public static final long MINSZ = flags.end();

    /** Fills {@code s} as a complete VFIO_GROUP_GET_STATUS argument. */
    public static MemorySegment fill(MemorySegment s) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        return s;
    }
}
