package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.util.Arrays;

/**
 * A named field of a struct layout, its byte offset fixed when the struct class is initialised so
 * accessors compile to one plain load or store. Unaligned access: user-supplied segments (raw tests,
 * argsz games) need not be aligned.
 */
public abstract sealed class Field permits U16, U32, U64 {
    private final String name;
    private final long offset;

    Field(GroupLayout struct, String... path) {
        this.name = String.join(".", path);
        this.offset = struct.byteOffset(Arrays.stream(path).map(PathElement::groupElement).toArray(PathElement[]::new));
    }

    public final String name() {
        return name;
    }

    public final long offset() {
        return offset;
    }

    /** Size in bytes. */
    public abstract int size();

    /**
     * {@code offsetofend(struct, field)}: the byte after this field. The kernel's {@code minsz} for an
     * ioctl is the {@code offsetofend} of the last field it needs.
     */
    public final long end() {
        return offset + size();
    }
}
