package io.jvfio.emul.mem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code copy_from_user}/{@code copy_to_user} on the caller's argument segments. The emulator
 * cannot read past a segment, so a segment shorter than what the kernel copies (or NULL) is an
 * EFAULT; the real kernel would read or write whatever memory follows.
 */
public final class UserCopy {
    private UserCopy() {}

    /** True when {@code n} bytes can be copied at the start of {@code s}. */
    public static boolean ok(MemorySegment s, long n) {
        return s != null && s.address() != 0 && s.byteSize() >= n;
    }

    public static int u32(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, off);
    }

    public static long u64(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
    }

    public static void putU32(MemorySegment s, long off, int v) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, off, v);
    }

    public static void putU64(MemorySegment s, long off, long v) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
    }
}
