package io.jvfio;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A {@link DmaMapper}'s {@link MappingTable}: written by the mapper's thread only, read by any thread
 * that frees a buffer. A single-writer sequence lock instead of a monitor, so recording a MAP or UNMAP
 * costs two ordered plain stores and no read-modify-write: the writer makes the version odd, changes
 * the table, makes it even again; a reader retries until it copied the table under one even version.
 */
final class MapperMappings {
    private static final VarHandle VERSION;

    static {
        try {
            VERSION = MethodHandles.lookup().findVarHandle(MapperMappings.class, "version", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MappingTable table = new MappingTable();
    /** Odd while the writer changes the table. */
    @SuppressWarnings("unused") // through VERSION
    private long version;

    /** The writer's thread only. */
    void mapped(long io, long sz, long va) {
        long v = begin();
        table.mapped(io, sz, va);
        VERSION.setRelease(this, v + 2);
    }

    /** The writer's thread only. */
    void unmapped(long io, long sz) {
        long v = begin();
        table.unmapped(io, sz);
        VERSION.setRelease(this, v + 2);
    }

    private long begin() {
        long v = (long) VERSION.getOpaque(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence(); // the odd version is visible before any change to the table
        return v;
    }

    /** The writer's thread only: every entry, as {@link MappingTable#entries()}. */
    long[] entries() {
        return table.entries();
    }

    /** Any thread: as {@link MappingTable#rangesInto}, copied under one stable version. */
    long[] rangesInto(long va, long len) {
        while (true) {
            long v = (long) VERSION.getAcquire(this);
            if ((v & 1) == 0) {
                try {
                    long[] r = table.rangesInto(va, len);
                    VarHandle.loadLoadFence();
                    if ((long) VERSION.getOpaque(this) == v) {
                        return r;
                    }
                } catch (RuntimeException tornByTheWriter) {
                    // read mid-change (arrays swapped while growing): retry
                }
            }
            Thread.onSpinWait();
        }
    }
}
