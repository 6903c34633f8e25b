package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    /** The kernel's {@code minsz} for VFIO_DEVICE_SET_IRQS: {@code offsetofend(count)}; {@code data[]} starts here. */
    public static final long MINSZ = count.end();
    /** The size of one eventfd in {@code data[]} ({@code __s32}); a DATA_BOOL element is one byte. */
    public static final long EVENTFD_SIZE = Integer.BYTES;

    /** Element {@code i} of a DATA_EVENTFD {@code data[]} ({@code data} is the array, from {@link #MINSZ} on). */
    public static int dataEventfd(MemorySegment data, long i) {
        return data.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
    }

    /** Element {@code i} of a DATA_BOOL {@code data[]}: {@code __u8}, true when non-zero. */
    public static boolean dataBool(MemorySegment data, long i) {
        return data.get(ValueLayout.JAVA_BYTE, i) != 0;
    }

    /**
     * Fills the header of a VFIO_DEVICE_SET_IRQS argument; argsz covers {@code dataBytes} of
     * {@code data[]}, which the caller writes at {@link #SIZE}.
     */
    public static MemorySegment fill(MemorySegment s, int setFlags, int irqIndex, int first, int n, long dataBytes) {
        argsz.set(s, (int) (SIZE + dataBytes));
        flags.set(s, setFlags);
        index.set(s, irqIndex);
        start.set(s, first);
        count.set(s, n);
        return s;
    }
}
