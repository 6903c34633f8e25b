package io.jvfio.emul.papr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The sparse TCE table against a sorted map, across its sparse and dense chunk forms. */
class SparseTceTableTest {
    private static final long SIZE = 1L << 40;

    @Test
    void anIsolatedEntryCostsTensOfBytesNotAChunk() {
        SparseTceTable t = new SparseTceTable(SIZE);
        long empty = t.allocatedBytes();
        t.exchange(12345, 0x1003L);
        long one = t.allocatedBytes() - empty;
        assertTrue(one <= 64, "one entry holds " + one + " bytes");
        t.exchange(12345, 0);
        assertEquals(empty, t.allocatedBytes(), "the chunk goes with its last entry");
    }

    @Test
    void aFullChunkIsAPlainArrayAgain() {
        SparseTceTable t = new SparseTceTable(SIZE);
        long empty = t.allocatedBytes();
        for (int i = 0; i < SparseTceTable.CHUNK; i++) {
            t.exchange(i, i + 1);
        }
        assertEquals(SparseTceTable.CHUNK * 8L, t.allocatedBytes() - empty, "8 bytes an entry when dense");
        assertEquals(SparseTceTable.CHUNK, t.countNonZero(0, SparseTceTable.CHUNK));
        assertEquals(SparseTceTable.CHUNK, t.nonZeroIndexes(0, SIZE).length);
        t.clearRange(0, SIZE, (i, v) -> assertEquals(i + 1, v));
        assertEquals(empty, t.allocatedBytes());
        assertEquals(0, t.nonZeroEntries());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void agreesWithASortedMapThroughPromotionsAndClears(int seed) {
        Random r = new Random(seed);
        SparseTceTable t = new SparseTceTable(SIZE);
        TreeMap<Long, Long> ref = new TreeMap<>();
        long[] chunks = {0, 7L << 12, (SIZE >>> 12) - 1 << 12};
        for (int step = 0; step < 60_000; step++) {
            long base = chunks[r.nextInt(chunks.length)];
            // Dense bursts push a chunk past the sparse limit; scattered stores stay sparse.
            long idx = base + (r.nextInt(4) == 0 ? step % SparseTceTable.CHUNK : r.nextInt(SparseTceTable.CHUNK));
            int op = r.nextInt(100);
            if (op < 2) {
                long lo = base + r.nextInt(SparseTceTable.CHUNK);
                long hi = lo + r.nextInt(3 * SparseTceTable.CHUNK);
                Map<Long, Long> expected = new TreeMap<>(ref.subMap(lo, Math.min(hi, SIZE)));
                Map<Long, Long> seen = new TreeMap<>();
                t.clearRange(lo, hi, seen::put);
                assertEquals(expected, seen, "clearRange visits exactly the non-zero entries");
                ref.subMap(lo, Math.min(hi, SIZE)).clear();
            } else {
                long v = op < 30 ? 0 : r.nextLong() | 1;
                long old = t.exchange(idx, v);
                Long o = v == 0 ? ref.remove(idx) : ref.put(idx, v);
                assertEquals(o == null ? 0 : o, old, "exchange at " + idx);
            }
            if (step % 997 == 0) {
                assertSame(ref, t);
            }
        }
        assertSame(ref, t);
    }

    @Test
    void aThrowingVisitorLeavesVisitedEntriesClearedAndTheRestIntact() {
        for (int n : new int[] {10, TceChunk.SPARSE_MAX + 10}) {
            SparseTceTable t = new SparseTceTable(SIZE);
            for (int i = 0; i < n; i++) {
                t.exchange(100 + i, 1000 + i);
            }
            int[] calls = {0};
            assertThrows(IllegalStateException.class, () -> t.clearRange(0, SIZE, (i, v) -> {
                if (++calls[0] == 3) {
                    throw new IllegalStateException("stop");
                }
            }));
            assertEquals(n - 3, t.nonZeroEntries(), n + " entries");
            assertEquals(0, t.get(102));
            assertEquals(1003, t.get(103));
            assertEquals(n - 3, t.nonZeroIndexes(0, SIZE).length);
        }
    }

    private static void assertSame(TreeMap<Long, Long> ref, SparseTceTable t) {
        assertEquals(ref.size(), t.nonZeroEntries());
        assertArrayEquals(ref.keySet().stream().mapToLong(Long::longValue).toArray(), t.nonZeroIndexes(0, SIZE));
        for (Map.Entry<Long, Long> e : ref.entrySet()) {
            assertEquals(e.getValue(), t.get(e.getKey()));
        }
        long lo = 5000;
        long hi = (8L << 12) + 17;
        assertEquals(ref.subMap(lo, hi).size(), t.countNonZero(lo, hi));
    }
}
