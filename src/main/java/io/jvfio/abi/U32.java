package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A {@code __u32} field. */
public final class U32 extends Field {
    private U32(GroupLayout struct, String... path) {
        super(struct, path);
    }

    public static U32 of(GroupLayout struct, String... path) {
        return new U32(struct, path);
    }

    @Override
    public int size() {
        return 4;
    }

    public int get(MemorySegment s) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED, offset());
    }

    public long getUnsigned(MemorySegment s) {
        return Integer.toUnsignedLong(get(s));
    }

    public void set(MemorySegment s, int v) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, offset(), v);
    }
}
