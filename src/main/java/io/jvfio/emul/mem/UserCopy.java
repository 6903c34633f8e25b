package io.jvfio.emul.mem;

import io.jvfio.abi.U32;
import io.jvfio.backend.Errno;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code copy_from_user}/{@code copy_to_user} on the caller's argument segments. The emulator
 * cannot read past a segment, so a segment shorter than what the kernel copies (or NULL) is an
 * EFAULT; the real kernel would read or write whatever memory follows. Fields are read and written
 * through the {@code io.jvfio.abi} struct classes, sizes are their {@code MINSZ} constants.
 */
public final class UserCopy {
    private UserCopy() {}

    /** True when {@code n} bytes can be copied at the start of {@code s}. */
    public static boolean ok(MemorySegment s, long n) {
        return s != null && s.address() != 0 && s.byteSize() >= n;
    }

    /** {@code get_user} of an {@code int} argument (the caller checked {@link #ok} for its size). */
    public static int getInt(MemorySegment s) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    /**
     * Every argsz ioctl's opening: {@code copy_from_user(&arg, uarg, minsz)} (-EFAULT), then
     * {@code arg.argsz < minsz} (-EINVAL); 0 when the call goes on.
     */
    public static long copyIn(MemorySegment s, U32 argsz, long minsz) {
        if (!ok(s, minsz)) {
            return -Errno.EFAULT;
        }
        return argszBelow(argsz.get(s), minsz) ? -Errno.EINVAL : 0;
    }

    /** The kernel's {@code argsz < minsz} on the (unsigned) {@code __u32 argsz}. */
    public static boolean argszBelow(int argsz, long minsz) {
        return Integer.toUnsignedLong(argsz) < minsz;
    }
}
