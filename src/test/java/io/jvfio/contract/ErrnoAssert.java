package io.jvfio.contract;

import io.jvfio.backend.Errno;
import org.opentest4j.AssertionFailedError;

/**
 * Assertions on raw seam results (a non-negative result, or {@code -errno}) that print the call,
 * the expected and the actual value with symbolic errno names, like the kernel selftests'
 * {@code ASSERT_EQ} on errno: {@code tceCreate(page_shift=12, levels=2): expected EINVAL (22), got ok (0)}.
 */
public final class ErrnoAssert {
    private ErrnoAssert() {}

    /** {@code result} must be {@code -expected}. */
    public static void assertErrno(int expected, long result, String what) {
        if (result != -expected) {
            String exp = Errno.format(expected);
            throw new AssertionFailedError(what + ": expected " + exp + ", got " + show(result), exp, show(result));
        }
    }

    /** {@code result} must be exactly 0. */
    public static void assertOk(long result, String what) {
        assertRet(0, result, what);
    }

    /** {@code result} must be exactly {@code expected} (a return value, never an errno). */
    public static void assertRet(long expected, long result, String what) {
        if (result != expected) {
            String exp = show(expected);
            throw new AssertionFailedError(what + ": expected " + exp + ", got " + show(result), exp, show(result));
        }
    }

    /** {@code result} must be a file descriptor (>= 0); returns it. */
    public static int assertFd(long result, String what) {
        if (result < 0) {
            throw new AssertionFailedError(what + ": expected a file descriptor, got " + show(result), "fd >= 0",
                    show(result));
        }
        return (int) result;
    }

    /** Two values of a struct field or register, printed in hex. */
    public static void assertHex(long expected, long actual, String what) {
        if (expected != actual) {
            String exp = "0x" + Long.toHexString(expected);
            String act = "0x" + Long.toHexString(actual);
            throw new AssertionFailedError(what + ": expected " + exp + ", got " + act, exp, act);
        }
    }

    /** Two texts (raw bytes in hex, names). */
    public static void assertText(String expected, String actual, String what) {
        if (!expected.equals(actual)) {
            throw new AssertionFailedError(what + ": expected " + expected + ", got " + actual, expected, actual);
        }
    }

    /** {@code ok (0)}, {@code ret=5}, or {@code EINVAL (22) Invalid argument}. */
    public static String show(long result) {
        if (result == 0) {
            return "ok (0)";
        }
        if (result > 0) {
            return "ret=" + result;
        }
        if (result < -4095) {
            return "ret=" + result;
        }
        int e = (int) -result;
        return Errno.format(e) + " " + Errno.describe(e);
    }
}
