package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/** {@code struct vfio_irq_info}: VFIO_DEVICE_GET_IRQ_INFO. */
public final class vfio_irq_info {
    private vfio_irq_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("index"), Ctypes.u32("count")).withName("vfio_irq_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 index = U32.of(LAYOUT, "index");
    public static final U32 count = U32.of(LAYOUT, "count");

    /** The kernel's {@code minsz} for VFIO_DEVICE_GET_IRQ_INFO: {@code offsetofend(count)}. */
    public static final long MINSZ = count.end();

    /** Fills {@code s} as a complete VFIO_DEVICE_GET_IRQ_INFO argument for interrupt {@code irqIndex}. */
    public static MemorySegment fill(MemorySegment s, int irqIndex) {
        argsz.set(s, (int) SIZE);
        flags.set(s, 0);
        index.set(s, irqIndex);
        return s;
    }
}
