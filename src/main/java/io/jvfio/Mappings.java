package io.jvfio;

/** A container's {@link MappingTable}, shared by every thread that maps through it: each method locks. */
final class Mappings {
    private final MappingTable table = new MappingTable();

    synchronized void mapped(long io, long sz, long va) {
        table.mapped(io, sz, va);
    }

    synchronized void unmapped(long io, long sz) {
        table.unmapped(io, sz);
    }

    /** Takes over the entries of {@link MappingTable#entries()}: a closing mapper's live mappings. */
    synchronized void adopt(long[] entries) {
        for (int i = 0; i < entries.length; i += 3) {
            table.mapped(entries[i], entries[i + 1], entries[i + 2]);
        }
    }

    synchronized void clearAll() {
        table.clearAll();
    }

    synchronized long[] rangesInto(long va, long len) {
        return table.rangesInto(va, len);
    }
}
