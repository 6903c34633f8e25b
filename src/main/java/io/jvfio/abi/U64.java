package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A {@code __u64} field. */
public final class U64 extends Field {
    private U64(GroupLayout struct, String... path) {
        super(struct, path);
    }

    public static U64 of(GroupLayout struct, String... path) {
        return new U64(struct, path);
    }

    @Override
    public int size() {
        return 8;
    }

    public long get(MemorySegment s) {
        return s.get(ValueLayout.JAVA_LONG_UNALIGNED, offset());
    }

    public void set(MemorySegment s, long v) {
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, offset(), v);
    }
}
