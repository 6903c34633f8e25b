package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A {@code __u16} field. */
public final class U16 extends Field {
    private U16(GroupLayout struct, String... path) {
        super(struct, path);
    }

    public static U16 of(GroupLayout struct, String... path) {
        return new U16(struct, path);
    }

    @Override
    public int size() {
        return 2;
    }

    public int get(MemorySegment s) {
        return Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset()));
    }

    public void set(MemorySegment s, int v) {
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset(), (short) v);
    }
}
