package io.jvfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The mapping table's bookkeeping, its fast paths (append, exact UNMAP) and its general walk alike. */
class MappingTableTest {
    private static final long VA = 0x7f0000000000L;

    @Test
    void appendsInOrder_andInsertsBelow() {
        MappingTable t = new MappingTable();
        t.mapped(0x2000, 0x1000, VA + 0x2000);
        t.mapped(0x3000, 0x1000, VA + 0x3000);
        t.mapped(0x1000, 0x1000, VA + 0x1000);
        t.mapped(0x9000, 0, VA); // nothing mapped
        assertArrayEquals(new long[] {0x1000, 0x1000, VA + 0x1000, 0x2000, 0x1000, VA + 0x2000, 0x3000, 0x1000, VA + 0x3000},
                t.entries());
    }

    @Test
    void exactUnmap_dropsThatEntryOnly() {
        MappingTable t = new MappingTable();
        for (long io = 0x1000; io <= 0x3000; io += 0x1000) {
            t.mapped(io, 0x1000, VA + io);
        }
        t.unmapped(0x2000, 0x1000);
        assertArrayEquals(new long[] {0x1000, 0x1000, VA + 0x1000, 0x3000, 0x1000, VA + 0x3000}, t.entries());
        t.unmapped(0x3000, 0x1000);
        t.unmapped(0x1000, 0x1000);
        assertArrayEquals(new long[0], t.entries());
    }

    @Test
    void unmapInside_splitsAndTrims() {
        MappingTable t = new MappingTable();
        t.mapped(0, 0x4000, VA);
        t.unmapped(0x1000, 0x1000);
        assertArrayEquals(new long[] {0, 0x1000, VA, 0x2000, 0x2000, VA + 0x2000}, t.entries());
        t.unmapped(0x3000, 0x2000); // past the end: trims
        assertArrayEquals(new long[] {0, 0x1000, VA, 0x2000, 0x1000, VA + 0x2000}, t.entries());
    }

    @Test
    void rangeOverEntries_dropsAllItCovers() {
        MappingTable t = new MappingTable();
        t.mapped(0x1000, 0x1000, VA);
        t.mapped(0x2000, 0x1000, VA + 0x5000);
        t.unmapped(0x1000, 0x1000 * 2);
        assertArrayEquals(new long[0], t.entries());
    }

    @Test
    void aStaleDuplicate_goesWithTheExactUnmap() {
        // Recorded twice (the range was unmapped behind this table's back, then mapped again): an UNMAP
        // of it must drop both, as the walk does, not only the first.
        MappingTable t = new MappingTable();
        t.mapped(0x1000, 0x1000, VA);
        t.mapped(0x1000, 0x1000, VA + 0x8000);
        t.unmapped(0x1000, 0x1000);
        assertArrayEquals(new long[0], t.entries());
    }
}
