package io.jvfio.emul.papr;

import java.util.Arrays;

/**
 * A table of {@code long} entries indexed 0..size-1 whose memory grows with what is set, not with
 * its size. A 2^59-byte window of 4 KiB TCEs (2^47 entries) costs a few hundred bytes until
 * something is mapped. Used for QEMU's TCE tables and for the guest kernel's {@code it_userspace}
 * view.
 *
 * <p>Entries are grouped in chunks of {@value #CHUNK} consecutive indexes. A chunk is created by its
 * first non-zero store and dropped with its last non-zero entry. It starts <em>sparse</em>: sorted
 * (offset, value) pairs that grow with the entries, so an isolated mapped TCE costs tens of bytes,
 * not a whole chunk. Past {@value #SPARSE_MAX} entries it turns <em>dense</em> (a plain
 * {@code long[CHUNK]}): 8 bytes an entry, one array store per access, for the windows drivers map
 * end to end.
 *
 * <p>Chunks are found through an open-addressing map with primitive keys (no boxing) and a
 * one-entry cache, so sequential access costs one lookup per chunk. Not thread-safe: callers hold
 * the platform lock.
 */
public final class SparseTceTable {
    /** Entries per chunk. */
    public static final int CHUNK = 4096;
    /** Entries a chunk keeps as sorted pairs before it becomes a plain array. */
    static final int SPARSE_MAX = 256;
    private static final int SHIFT = 12;
    private static final int MASK = CHUNK - 1;
    private static final int SPARSE_INITIAL = 2;

    private final long size;

    // The chunk map: open addressing, linear probing, backward-shift deletion; key -1 = empty.
    private long[] keys;
    private long[][] values; // dense: indexed by offset; sparse: the values, in offset order
    private char[][] offsets; // null for a dense chunk; else the sorted offsets of its values
    private int[] live; // non-zero entries per chunk
    private int count;

    private long cachedKey = -1;
    private int cachedSlot = -1;

    private long nonZero;
    private long chunkBytes;

    public SparseTceTable(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size " + size);
        }
        this.size = size;
        allocateMap(16);
    }

    public long size() {
        return size;
    }

    /** Number of non-zero entries. */
    public long nonZeroEntries() {
        return nonZero;
    }

    /** Bytes held for entries and the chunk map (what the table costs, array headers aside). */
    public long allocatedBytes() {
        return chunkBytes + (long) keys.length * (Long.BYTES + 8 + 8 + Integer.BYTES);
    }

    /** The entry at {@code index} (0 for never set); {@code index} must be in [0, size). */
    public long get(long index) {
        int slot = find(index >>> SHIFT);
        if (slot < 0) {
            return 0;
        }
        int i = (int) (index & MASK);
        char[] o = offsets[slot];
        if (o == null) {
            return values[slot][i];
        }
        int p = search(o, live[slot], i);
        return p >= 0 ? values[slot][p] : 0;
    }

    /** Stores {@code value} at {@code index} and returns the previous value. */
    public long exchange(long index, long value) {
        long key = index >>> SHIFT;
        int slot = find(key);
        if (slot < 0) {
            if (value == 0) {
                return 0;
            }
            slot = insert(key);
        }
        int i = (int) (index & MASK);
        return offsets[slot] == null ? exchangeDense(slot, i, value) : exchangeSparse(slot, i, value);
    }

    private long exchangeDense(int slot, int i, long value) {
        long[] c = values[slot];
        long old = c[i];
        c[i] = value;
        if (old == 0) {
            if (value != 0) {
                live[slot]++;
                nonZero++;
            }
        } else if (value == 0) {
            entryCleared(slot);
        }
        return old;
    }

    private long exchangeSparse(int slot, int i, long value) {
        int n = live[slot];
        int p = search(offsets[slot], n, i);
        if (p >= 0) {
            long[] v = values[slot];
            long old = v[p];
            if (value != 0) {
                v[p] = value;
            } else {
                closeGap(slot, p, p + 1);
                entryCleared(slot);
            }
            return old;
        }
        if (value == 0) {
            return 0;
        }
        p = -(p + 1);
        if (n == SPARSE_MAX) {
            makeDense(slot);
            values[slot][i] = value;
        } else {
            if (n == offsets[slot].length) {
                resizeSparse(slot, Math.min(SPARSE_MAX, n * 2));
            }
            char[] o = offsets[slot];
            long[] v = values[slot];
            System.arraycopy(o, p, o, p + 1, n - p);
            System.arraycopy(v, p, v, p + 1, n - p);
            o[p] = (char) i;
            v[p] = value;
        }
        live[slot]++;
        nonZero++;
        return 0;
    }

    /** Receives the entries {@link #clearRange} clears. */
    @FunctionalInterface
    public interface Cleared {
        void cleared(long index, long oldValue);
    }

    /**
     * Sets every non-zero entry of [from, to) to 0, ascending, telling {@code visitor} each index and
     * old value after the entry is cleared. Visits only allocated chunks, so a huge empty range
     * costs nothing. The visitor must not change this table; if it throws, the entries visited so
     * far stay cleared and the rest stay as they were.
     */
    public void clearRange(long from, long to, Cleared visitor) {
        from = Math.max(0, from);
        to = Math.min(size, to);
        if (from >= to || nonZero == 0) {
            return;
        }
        for (long key : sortedKeys(from, to)) {
            int slot = find(key);
            long base = key << SHIFT;
            int lo = (int) Math.max(0, from - base);
            int hi = (int) Math.min(CHUNK, to - base);
            if (offsets[slot] == null) {
                clearDense(slot, base, lo, hi, visitor);
            } else {
                clearSparse(slot, base, lo, hi, visitor);
            }
        }
    }

    private void clearDense(int slot, long base, int lo, int hi, Cleared visitor) {
        long[] c = values[slot];
        try {
            for (int i = lo; i < hi; i++) {
                long old = c[i];
                if (old != 0) {
                    c[i] = 0;
                    nonZero--;
                    live[slot]--;
                    visitor.cleared(base + i, old);
                }
            }
        } finally {
            if (live[slot] == 0) {
                remove(slot);
            }
        }
    }

    private void clearSparse(int slot, long base, int lo, int hi, Cleared visitor) {
        char[] o = offsets[slot];
        long[] v = values[slot];
        int first = lowerBound(o, live[slot], lo);
        int p = first;
        try {
            while (p < live[slot] && o[p] < hi) {
                long old = v[p];
                int offset = o[p];
                p++;
                nonZero--;
                visitor.cleared(base + offset, old);
            }
        } finally {
            closeGap(slot, first, p);
            live[slot] -= p - first;
            if (live[slot] == 0) {
                remove(slot);
            }
        }
    }

    /** Drops every entry. */
    public void clear() {
        allocateMap(16);
        count = 0;
        nonZero = 0;
        chunkBytes = 0;
        cachedKey = -1;
        cachedSlot = -1;
    }

    /** Number of non-zero entries in [from, to). */
    public long countNonZero(long from, long to) {
        if (from <= 0 && to >= size) {
            return nonZero;
        }
        long n = 0;
        for (long key : sortedKeys(from, to)) {
            int slot = find(key);
            long base = key << SHIFT;
            int lo = (int) Math.max(0, from - base);
            int hi = (int) Math.min(CHUNK, to - base);
            char[] o = offsets[slot];
            if (o != null) {
                n += lowerBound(o, live[slot], hi) - lowerBound(o, live[slot], lo);
                continue;
            }
            long[] c = values[slot];
            for (int i = lo; i < hi; i++) {
                if (c[i] != 0) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The indexes of the non-zero entries in [from, to), ascending. The result is computed before
     * the visitor runs, so the visitor may change the table.
     */
    public long[] nonZeroIndexes(long from, long to) {
        from = Math.max(0, from);
        to = Math.min(size, to);
        if (from >= to || nonZero == 0) {
            return new long[0];
        }
        long[] out = new long[16];
        int n = 0;
        for (long key : sortedKeys(from, to)) {
            int slot = find(key);
            long base = key << SHIFT;
            int lo = (int) Math.max(0, from - base);
            int hi = (int) Math.min(CHUNK, to - base);
            char[] o = offsets[slot];
            int first = o == null ? lo : lowerBound(o, live[slot], lo);
            int end = o == null ? hi : lowerBound(o, live[slot], hi);
            for (int j = first; j < end; j++) {
                if (o == null && values[slot][j] == 0) {
                    continue;
                }
                if (n == out.length) {
                    out = Arrays.copyOf(out, n * 2);
                }
                out[n++] = base + (o == null ? j : o[j]);
            }
        }
        return Arrays.copyOf(out, n);
    }

    private long[] sortedKeys(long from, long to) {
        long kFrom = Math.max(0, from) >>> SHIFT;
        long kTo = (Math.max(0, to - 1)) >>> SHIFT;
        long[] r = new long[count];
        int n = 0;
        for (long k : keys) {
            if (k >= 0 && k >= kFrom && k <= kTo) {
                r[n++] = k;
            }
        }
        r = Arrays.copyOf(r, n);
        Arrays.sort(r);
        return r;
    }

    // ---- a chunk's storage --------------------------------------------------------------------------

    /** Position of offset {@code i} among the first {@code n} sorted offsets, or -(insertion point) - 1. */
    private static int search(char[] o, int n, int i) {
        // Drivers map upwards: the common store lands at or past the last entry.
        if (n == 0 || o[n - 1] < i) {
            return -(n + 1);
        }
        if (o[n - 1] == i) {
            return n - 1;
        }
        return Arrays.binarySearch(o, 0, n, (char) i);
    }

    /** The first position whose offset is at least {@code i}. */
    private static int lowerBound(char[] o, int n, int i) {
        int p = search(o, n, i);
        return p >= 0 ? p : -(p + 1);
    }

    /** Removes the pairs at positions [from, to) of a sparse chunk (its {@code live} not yet updated). */
    private void closeGap(int slot, int from, int to) {
        int n = live[slot];
        System.arraycopy(offsets[slot], to, offsets[slot], from, n - to);
        System.arraycopy(values[slot], to, values[slot], from, n - to);
    }

    private void entryCleared(int slot) {
        nonZero--;
        if (--live[slot] == 0) {
            remove(slot);
        }
    }

    private void resizeSparse(int slot, int capacity) {
        chunkBytes += (long) (capacity - offsets[slot].length) * (Character.BYTES + Long.BYTES);
        offsets[slot] = Arrays.copyOf(offsets[slot], capacity);
        values[slot] = Arrays.copyOf(values[slot], capacity);
    }

    private void makeDense(int slot) {
        char[] o = offsets[slot];
        long[] v = values[slot];
        long[] dense = new long[CHUNK];
        for (int j = 0; j < live[slot]; j++) {
            dense[o[j]] = v[j];
        }
        chunkBytes += (long) CHUNK * Long.BYTES - (long) o.length * (Character.BYTES + Long.BYTES);
        values[slot] = dense;
        offsets[slot] = null;
    }

    private long storageBytes(int slot) {
        char[] o = offsets[slot];
        return o == null ? (long) CHUNK * Long.BYTES : (long) o.length * (Character.BYTES + Long.BYTES);
    }

    // ---- the chunk map ---------------------------------------------------------------------------

    private void allocateMap(int n) {
        keys = new long[n];
        Arrays.fill(keys, -1L);
        values = new long[n][];
        offsets = new char[n][];
        live = new int[n];
    }

    private static int hash(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private int find(long key) {
        if (key == cachedKey) {
            return cachedSlot;
        }
        int mask = keys.length - 1;
        int i = hash(key, mask);
        while (true) {
            long k = keys[i];
            if (k == key) {
                cachedKey = key;
                cachedSlot = i;
                return i;
            }
            if (k == -1L) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    private int insert(long key) {
        if ((count + 1) * 4 > keys.length * 3) {
            grow();
        }
        int mask = keys.length - 1;
        int i = hash(key, mask);
        while (keys[i] != -1L) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        offsets[i] = new char[SPARSE_INITIAL];
        values[i] = new long[SPARSE_INITIAL];
        chunkBytes += (long) SPARSE_INITIAL * (Character.BYTES + Long.BYTES);
        live[i] = 0;
        count++;
        cachedKey = key;
        cachedSlot = i;
        return i;
    }

    private void grow() {
        long[] ok = keys;
        long[][] ov = values;
        char[][] oo = offsets;
        int[] ol = live;
        allocateMap(ok.length * 2);
        int mask = keys.length - 1;
        for (int j = 0; j < ok.length; j++) {
            if (ok[j] != -1L) {
                int i = hash(ok[j], mask);
                while (keys[i] != -1L) {
                    i = (i + 1) & mask;
                }
                moveSlot(ok, ov, oo, ol, j, i);
            }
        }
        cachedKey = -1;
        cachedSlot = -1;
    }

    private void moveSlot(long[] k, long[][] v, char[][] o, int[] l, int from, int to) {
        keys[to] = k[from];
        values[to] = v[from];
        offsets[to] = o[from];
        live[to] = l[from];
    }

    private void remove(int slot) {
        chunkBytes -= storageBytes(slot);
        int mask = keys.length - 1;
        clearSlot(slot);
        count--;
        // backward-shift deletion keeps probe sequences intact
        int hole = slot;
        int i = (slot + 1) & mask;
        while (keys[i] != -1L) {
            int home = hash(keys[i], mask);
            boolean move = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (move) {
                moveSlot(keys, values, offsets, live, i, hole);
                clearSlot(i);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        cachedKey = -1;
        cachedSlot = -1;
    }

    private void clearSlot(int slot) {
        keys[slot] = -1L;
        values[slot] = null;
        offsets[slot] = null;
        live[slot] = 0;
    }
}
