package io.jvfio.emul.papr;

import java.util.Arrays;

/**
 * The entries of one {@link SparseTceTable} chunk ({@value SparseTceTable#CHUNK} consecutive
 * indexes), addressed by offset. It starts <em>sparse</em>: sorted (offset, value) pairs that grow
 * with the entries, so an isolated mapped TCE costs tens of bytes. Past {@value #SPARSE_MAX} entries
 * it turns <em>dense</em>, a plain array: 8 bytes an entry and one store per access, for windows
 * mapped end to end. Only non-zero entries are stored or counted.
 */
final class TceChunk {
    /** Entries a chunk keeps as sorted pairs before it becomes a plain array. */
    static final int SPARSE_MAX = 256;
    private static final int SPARSE_INITIAL = 2;
    private static final int PAIR_BYTES = Character.BYTES + Long.BYTES;

    private long[] values; // dense: indexed by offset; sparse: the values, in offset order
    private char[] offsets; // null once dense; else the sorted offsets of the values
    private int live; // non-zero entries

    TceChunk() {
        values = new long[SPARSE_INITIAL];
        offsets = new char[SPARSE_INITIAL];
    }

    /** Non-zero entries. */
    int live() {
        return live;
    }

    /** Bytes of entry storage (array headers aside). */
    long bytes() {
        return offsets == null ? (long) SparseTceTable.CHUNK * Long.BYTES : (long) offsets.length * PAIR_BYTES;
    }

    long get(int i) {
        if (offsets == null) {
            return values[i];
        }
        int p = search(i);
        return p >= 0 ? values[p] : 0;
    }

    /** Stores {@code value} at offset {@code i} and returns the previous value. */
    long exchange(int i, long value) {
        if (offsets == null) {
            long old = values[i];
            values[i] = value;
            if (old == 0 && value != 0) {
                live++;
            } else if (old != 0 && value == 0) {
                live--;
            }
            return old;
        }
        int p = search(i);
        if (p >= 0) {
            long old = values[p];
            if (value != 0) {
                values[p] = value;
            } else {
                closeGap(p, p + 1);
                live--;
            }
            return old;
        }
        if (value != 0) {
            insert(-(p + 1), i, value);
        }
        return 0;
    }

    private void insert(int p, int i, long value) {
        if (live == SPARSE_MAX) {
            makeDense();
            values[i] = value;
        } else {
            if (live == offsets.length) {
                offsets = Arrays.copyOf(offsets, Math.min(SPARSE_MAX, live * 2));
                values = Arrays.copyOf(values, offsets.length);
            }
            System.arraycopy(offsets, p, offsets, p + 1, live - p);
            System.arraycopy(values, p, values, p + 1, live - p);
            offsets[p] = (char) i;
            values[p] = value;
        }
        live++;
    }

    private void makeDense() {
        long[] dense = new long[SparseTceTable.CHUNK];
        for (int j = 0; j < live; j++) {
            dense[offsets[j]] = values[j];
        }
        values = dense;
        offsets = null;
    }

    /**
     * Clears the non-zero entries at offsets [lo, hi), ascending, telling {@code visitor} each
     * (base + offset, old value) after it is cleared. If the visitor throws, the entries visited so
     * far stay cleared and the rest stay as they were.
     */
    void clear(int lo, int hi, long base, SparseTceTable.Cleared visitor) {
        if (offsets == null) {
            for (int i = lo; i < hi; i++) {
                long old = values[i];
                if (old != 0) {
                    values[i] = 0;
                    live--;
                    visitor.cleared(base + i, old);
                }
            }
            return;
        }
        int first = lowerBound(lo);
        int p = first;
        try {
            while (p < live && offsets[p] < hi) {
                long old = values[p];
                int offset = offsets[p++];
                visitor.cleared(base + offset, old);
            }
        } finally {
            closeGap(first, p);
            live -= p - first;
        }
    }

    /** Non-zero entries at offsets [lo, hi). */
    int count(int lo, int hi) {
        if (offsets != null) {
            return lowerBound(hi) - lowerBound(lo);
        }
        int n = 0;
        for (int i = lo; i < hi; i++) {
            if (values[i] != 0) {
                n++;
            }
        }
        return n;
    }

    /** Appends base + offset of each non-zero entry at offsets [lo, hi) to {@code out}, ascending. */
    void indexes(int lo, int hi, long base, Longs out) {
        if (offsets != null) {
            for (int j = lowerBound(lo), end = lowerBound(hi); j < end; j++) {
                out.add(base + offsets[j]);
            }
            return;
        }
        for (int i = lo; i < hi; i++) {
            if (values[i] != 0) {
                out.add(base + i);
            }
        }
    }

    /** A growable list of longs (no boxing). */
    static final class Longs {
        private long[] a = new long[16];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    /** Position of offset {@code i} among the sorted offsets, or -(insertion point) - 1. */
    private int search(int i) {
        // Drivers map upwards: the common store lands at or past the last entry.
        if (live == 0 || offsets[live - 1] < i) {
            return -(live + 1);
        }
        if (offsets[live - 1] == i) {
            return live - 1;
        }
        return Arrays.binarySearch(offsets, 0, live, (char) i);
    }

    /** The first position whose offset is at least {@code i}. */
    private int lowerBound(int i) {
        int p = search(i);
        return p >= 0 ? p : -(p + 1);
    }

    /** Removes the pairs at positions [from, to) ({@code live} not yet updated). */
    private void closeGap(int from, int to) {
        System.arraycopy(offsets, to, offsets, from, live - to);
        System.arraycopy(values, to, values, from, live - to);
    }
}
