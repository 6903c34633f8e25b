package io.jvfio.emul.papr;

import java.util.Arrays;

/**
 * A table of {@code long} entries indexed 0..size-1 whose memory grows with what is set, not with
 * its size. A 2^59-byte window of 4 KiB TCEs (2^47 entries) costs a few hundred bytes until
 * something is mapped. Used for QEMU's TCE tables and for the guest kernel's {@code it_userspace}
 * view.
 *
 * <p>Entries are grouped in chunks of {@value #CHUNK} consecutive indexes ({@link TceChunk}: sorted
 * pairs while sparse, a plain array once dense), created by their first non-zero store and dropped
 * with their last non-zero entry. Chunks are found through an open-addressing map with primitive
 * keys (no boxing) and a one-entry cache, so sequential access costs one lookup per chunk. Not
 * thread-safe: callers hold the platform lock.
 */
public final class SparseTceTable {
    /** Entries per chunk. */
    public static final int CHUNK = 4096;
    private static final int SHIFT = 12;
    private static final int MASK = CHUNK - 1;

    private final long size;

    // The chunk map: open addressing, linear probing, backward-shift deletion; key -1 = empty.
    private long[] keys;
    private TceChunk[] chunks;
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
        return chunkBytes + (long) keys.length * (Long.BYTES + 8);
    }

    /** The entry at {@code index} (0 for never set); {@code index} must be in [0, size). */
    public long get(long index) {
        int slot = find(index >>> SHIFT);
        return slot < 0 ? 0 : chunks[slot].get((int) (index & MASK));
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
        TceChunk c = chunks[slot];
        int liveBefore = c.live();
        long bytesBefore = c.bytes();
        long old = c.exchange((int) (index & MASK), value);
        chunkChanged(slot, liveBefore, bytesBefore);
        return old;
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
            TceChunk c = chunks[slot];
            int liveBefore = c.live();
            long bytesBefore = c.bytes();
            try {
                c.clear((int) Math.max(0, from - base), (int) Math.min(CHUNK, to - base), base, visitor);
            } finally {
                chunkChanged(slot, liveBefore, bytesBefore);
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
            long base = key << SHIFT;
            n += chunks[find(key)].count((int) Math.max(0, from - base), (int) Math.min(CHUNK, to - base));
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
        TceChunk.Longs out = new TceChunk.Longs();
        for (long key : sortedKeys(from, to)) {
            long base = key << SHIFT;
            chunks[find(key)].indexes((int) Math.max(0, from - base), (int) Math.min(CHUNK, to - base), base, out);
        }
        return out.toArray();
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

    /** Accounts for a change to the chunk at {@code slot} and drops it once it holds nothing. */
    private void chunkChanged(int slot, int liveBefore, long bytesBefore) {
        TceChunk c = chunks[slot];
        nonZero += c.live() - liveBefore;
        chunkBytes += c.bytes() - bytesBefore;
        if (c.live() == 0) {
            remove(slot);
        }
    }

    // ---- the chunk map ---------------------------------------------------------------------------

    private void allocateMap(int n) {
        keys = new long[n];
        Arrays.fill(keys, -1L);
        chunks = new TceChunk[n];
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
        chunks[i] = new TceChunk();
        chunkBytes += chunks[i].bytes();
        count++;
        cachedKey = key;
        cachedSlot = i;
        return i;
    }

    private void grow() {
        long[] ok = keys;
        TceChunk[] oc = chunks;
        allocateMap(ok.length * 2);
        int mask = keys.length - 1;
        for (int j = 0; j < ok.length; j++) {
            if (ok[j] != -1L) {
                int i = hash(ok[j], mask);
                while (keys[i] != -1L) {
                    i = (i + 1) & mask;
                }
                keys[i] = ok[j];
                chunks[i] = oc[j];
            }
        }
        cachedKey = -1;
        cachedSlot = -1;
    }

    private void remove(int slot) {
        chunkBytes -= chunks[slot].bytes();
        int mask = keys.length - 1;
        keys[slot] = -1L;
        chunks[slot] = null;
        count--;
        // backward-shift deletion keeps probe sequences intact
        int hole = slot;
        int i = (slot + 1) & mask;
        while (keys[i] != -1L) {
            int home = hash(keys[i], mask);
            boolean move = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (move) {
                keys[hole] = keys[i];
                chunks[hole] = chunks[i];
                keys[i] = -1L;
                chunks[i] = null;
                hole = i;
            }
            i = (i + 1) & mask;
        }
        cachedKey = -1;
        cachedSlot = -1;
    }
}
