package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_device_info}: VFIO_DEVICE_GET_INFO; the kernel needs argsz >= 16 (offsetofend num_irqs). */
public final class vfio_device_info {
    private vfio_device_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("num_regions"), Ctypes.u32("num_irqs"),
            Ctypes.u32("cap_offset")).withName("vfio_device_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 num_regions = U32.of(LAYOUT, "num_regions");
    public static final U32 num_irqs = U32.of(LAYOUT, "num_irqs");
    public static final U32 cap_offset = U32.of(LAYOUT, "cap_offset");

    /** The kernel's {@code minsz} for VFIO_DEVICE_GET_INFO: {@code offsetofend(num_irqs)}. */
    public static final long MINSZ = num_irqs.end();
    /** The {@code minsz} once argsz covers the capability chain: {@code offsetofend(cap_offset)}. */
    public static final long MINSZ_CAPS = cap_offset.end();

    /** Fills {@code s} as a complete VFIO_DEVICE_GET_INFO argument. */
    public static MemorySegment fill(MemorySegment s) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        return s;
    }
}
