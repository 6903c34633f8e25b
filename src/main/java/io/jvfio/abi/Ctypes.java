package io.jvfio.abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;

/**
 * The UAPI's fixed-width C types as layouts. Kept apart from {@link Structs}: the registry refers to
 * every struct class, so struct classes must not initialise it.
 */
final class Ctypes {
    private Ctypes() {}

    /** {@code __u16}. */
    static MemoryLayout u16(String name) {
        return ValueLayout.JAVA_SHORT.withName(name);
    }

    /** {@code __u32}. */
    static MemoryLayout u32(String name) {
        return ValueLayout.JAVA_INT.withName(name);
    }

    /** {@code __u64}; 8-byte aligned, as on both architectures. */
    static MemoryLayout u64(String name) {
        return ValueLayout.JAVA_LONG.withName(name);
    }
}
