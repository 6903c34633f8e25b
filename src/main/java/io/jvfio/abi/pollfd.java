package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;

/**
 * {@code struct pollfd} (include/uapi/asm-generic/poll.h): poll(2)'s array element. {@code fd} is a
 * C {@code int}, {@code events} and {@code revents} are {@code short}s: the same 4 and 2 bytes as
 * the {@code __u32}/{@code __u16} accessors, which read {@code fd} signed and the masks unsigned.
 * The event bits are {@code VfioUapi.POLL*}.
 */
public final class pollfd {
    private pollfd() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("fd"), Ctypes.u16("events"), Ctypes.u16("revents")).withName("pollfd");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 fd = U32.of(LAYOUT, "fd");
    public static final U16 events = U16.of(LAYOUT, "events");
    public static final U16 revents = U16.of(LAYOUT, "revents");

    /** Fills entry {@code index} of a pollfd array: {@code fd}, {@code events}, {@code revents} 0. */
    public static void fill(MemorySegment array, int index, int fdValue, int eventMask) {
        MemorySegment e = array.asSlice(index * SIZE, SIZE);
        fd.set(e, fdValue);
        events.set(e, eventMask);
        revents.set(e, 0);
    }

    /** The {@code revents} of entry {@code index} of a pollfd array. */
    public static int revents(MemorySegment array, int index) {
        return revents.get(array.asSlice(index * SIZE, SIZE));
    }
}
