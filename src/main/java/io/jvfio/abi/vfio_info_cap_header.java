package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * {@code struct vfio_info_cap_header}: one capability of an INFO ioctl's chain (after
 * {@code vfio_region_info} when VFIO_REGION_INFO_FLAG_CAPS is set); {@code next} is the offset of
 * the next one from the start of the INFO struct, 0 at the end.
 */
public final class vfio_info_cap_header {
    private vfio_info_cap_header() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u16("id"), Ctypes.u16("version"), Ctypes.u32("next")).withName("vfio_info_cap_header");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U16 id = U16.of(LAYOUT, "id");
    public static final U16 version = U16.of(LAYOUT, "version");
    public static final U32 next = U32.of(LAYOUT, "next");

    /** Writes a header at the start of {@code s}. */
    public static MemorySegment fill(MemorySegment s, int capId, int capVersion, int nextOffset) {
        id.set(s, capId);
        version.set(s, capVersion);
        next.set(s, nextOffset);
        return s;
    }
}
