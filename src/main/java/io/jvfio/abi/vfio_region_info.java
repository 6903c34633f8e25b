package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_region_info}: VFIO_DEVICE_GET_REGION_INFO; index in, the rest out. */
public final class vfio_region_info {
    private vfio_region_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("index"), Ctypes.u32("cap_offset"),
            Ctypes.u64("size"), Ctypes.u64("offset")).withName("vfio_region_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 index = U32.of(LAYOUT, "index");
    public static final U32 cap_offset = U32.of(LAYOUT, "cap_offset");
    public static final U64 size = U64.of(LAYOUT, "size");
    public static final U64 offset = U64.of(LAYOUT, "offset");

    /** The kernel's {@code minsz} for VFIO_DEVICE_GET_REGION_INFO: {@code offsetofend(offset)}. */
    public static final long MINSZ = offset.end();

    /** Fills {@code s} as a complete VFIO_DEVICE_GET_REGION_INFO argument for region {@code regionIndex}. */
    public static MemorySegment fill(MemorySegment s, int regionIndex) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        index.set(s, regionIndex);
        return s;
    }
}
