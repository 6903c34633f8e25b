package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_irq_set}: VFIO_DEVICE_SET_IRQS; {@code data[]} follows at {@link #SIZE} (eventfds are s32). */
public final class vfio_irq_set {
    private vfio_irq_set() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("index"), Ctypes.u32("start"),
            Ctypes.u32("count")).withName("vfio_irq_set");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 index = U32.of(LAYOUT, "index");
    public static final U32 start = U32.of(LAYOUT, "start");
    public static final U32 count = U32.of(LAYOUT, "count");
}
