package io.jvfio;

import java.util.Arrays;

/**
 * IOVA ranges mapped and the process addresses behind them, so that freeing a buffer can unmap
 * exactly what points into it. Kept in three parallel arrays sorted by IOVA (the kernel never lets two
 * mappings overlap): recording a MAP or UNMAP allocates nothing unless the arrays grow. IOVAs compare
 * unsigned. Not thread-safe: {@link Mappings} locks it, {@link MapperMappings} publishes it from one
 * writer thread.
 */
final class MappingTable {
    private long[] iova = new long[16];
    private long[] size = new long[16];
    private long[] vaddr = new long[16];
    private int n;

    /** Index of the first entry whose IOVA is not below {@code at}. */
    private int lowerBound(long at) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(iova[mid], at) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void insertAt(int i, long io, long sz, long va) {
        if (n == iova.length) {
            iova = Arrays.copyOf(iova, n * 2);
            size = Arrays.copyOf(size, n * 2);
            vaddr = Arrays.copyOf(vaddr, n * 2);
        }
        if (i < n) { // appending, the common case on a hot path, copies nothing
            System.arraycopy(iova, i, iova, i + 1, n - i);
            System.arraycopy(size, i, size, i + 1, n - i);
            System.arraycopy(vaddr, i, vaddr, i + 1, n - i);
        }
        iova[i] = io;
        size[i] = sz;
        vaddr[i] = va;
        n++;
    }

    private void removeAt(int i) {
        if (i < n - 1) {
            System.arraycopy(iova, i + 1, iova, i, n - i - 1);
            System.arraycopy(size, i + 1, size, i, n - i - 1);
            System.arraycopy(vaddr, i + 1, vaddr, i, n - i - 1);
        }
        n--;
    }

    /** A successful MAP of {@code [io, io+sz)} to process memory at {@code va}. */
    void mapped(long io, long sz, long va) {
        if (sz != 0) {
            // Above every entry (the common case: a driver maps upwards, or into an empty table): no search.
            insertAt(n == 0 || Long.compareUnsigned(iova[n - 1], io) < 0 ? n : lowerBound(io), io, sz, va);
        }
    }

    /** A successful UNMAP of {@code [io, io+sz)}: drops, trims or splits what it covered. */
    void unmapped(long io, long sz) {
        int at = lowerBound(io);
        long end = io + sz;
        if (at < n && iova[at] == io && size[at] == sz
                && (at == 0 || Long.compareUnsigned(iova[at - 1] + size[at - 1], io) <= 0)
                && (at + 1 == n || Long.compareUnsigned(iova[at + 1], end) >= 0)) {
            // Exactly one MAP undone, its neighbours outside it (the common case): no walk.
            removeAt(at);
            return;
        }
        // An entry that starts below io may reach into the range: start one before the bound.
        int i = Math.max(0, at - 1);
        while (i < n && Long.compareUnsigned(iova[i], end) < 0) {
            long s = iova[i];
            long e = s + size[i];
            if (Long.compareUnsigned(e, io) <= 0) {
                i++;
                continue;
            }
            long va = vaddr[i];
            removeAt(i);
            if (Long.compareUnsigned(s, io) < 0) {
                insertAt(i++, s, io - s, va);
            }
            if (Long.compareUnsigned(e, end) > 0) {
                insertAt(i++, end, e - end, va + (end - s));
            }
        }
    }

    void clearAll() {
        n = 0;
    }

    /**
     * The IOVA ranges that map process memory in {@code [va, va+len)}, as pairs {@code {iova, size}}
     * in one array.
     */
    long[] rangesInto(long va, long len) {
        long[] out = new long[0];
        for (int i = 0; i < n; i++) {
            long lo = Math.max(vaddr[i], va);
            long hi = Math.min(vaddr[i] + size[i], va + len);
            if (lo < hi) {
                out = Arrays.copyOf(out, out.length + 2);
                out[out.length - 2] = iova[i] + (lo - vaddr[i]);
                out[out.length - 1] = hi - lo;
            }
        }
        return out;
    }

    /** Every entry, as triples {@code {iova, size, vaddr}} in one array. */
    long[] entries() {
        long[] out = new long[n * 3];
        for (int i = 0; i < n; i++) {
            out[3 * i] = iova[i];
            out[3 * i + 1] = size[i];
            out[3 * i + 2] = vaddr[i];
        }
        return out;
    }

    int count() {
        return n;
    }
}
