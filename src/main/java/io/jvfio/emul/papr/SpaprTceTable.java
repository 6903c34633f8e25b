package io.jvfio.emul.papr;

/**
 * QEMU's {@code SpaprTceTable} (hw/ppc/spapr_iommu.c): one LIOBN, i.e. one DMA window of a PHB.
 * Disabled when {@code nbTable == 0}. The entries are sparse ({@link SparseTceTable}); QEMU's
 * {@code g_new0(uint64_t, nb_table)} is not modelled (see the package notes).
 */
public final class SpaprTceTable {
    /** TCE permission bits, as the guest writes them with H_PUT_TCE. */
    public static final long TCE_READ = 1;
    public static final long TCE_WRITE = 2;
    public static final long TCE_RW = 3;

    final long liobn;
    long nbTable;
    int pageShift;
    long busOffset;
    /** QEMU 7.1+ {@code def_win}: set by the PHB's DMA reset on LIOBN 0, never cleared (as in QEMU 7.2). */
    boolean defWin;
    SparseTceTable table;

    SpaprTceTable(long liobn) {
        this.liobn = liobn;
    }

    public long liobn() {
        return liobn;
    }

    public boolean enabled() {
        return nbTable != 0;
    }

    public long nbTable() {
        return nbTable;
    }

    public int pageShift() {
        return pageShift;
    }

    public long busOffset() {
        return busOffset;
    }

    /** The entries, null while disabled. */
    public SparseTceTable entries() {
        return table;
    }

    /**
     * {@code spapr_tce_table_enable}. {@code nbTable} is QEMU's {@code uint32_t}: callers pass the
     * value already truncated, 0 leaves the table disabled.
     */
    void enable(int pageShift, long busOffset, long nbTable) {
        if (this.nbTable != 0) {
            return; // "trying to enable already enabled TCE table"
        }
        this.pageShift = pageShift;
        this.busOffset = busOffset;
        this.nbTable = nbTable;
        this.table = nbTable == 0 ? null : new SparseTceTable(nbTable);
    }

    /** {@code spapr_tce_table_disable}. */
    void disable() {
        nbTable = 0;
        table = null;
    }

    // The one place that turns bus addresses and the guest kernel's TCE numbers into table indexes.

    /** The table index of {@code ioba} (already masked to the page), or -1 when out of bounds (H_PARAMETER). */
    public long index(long ioba) {
        if (nbTable == 0) {
            return -1;
        }
        long idx = (ioba - busOffset) >>> pageShift;
        return Long.compareUnsigned(idx, nbTable) >= 0 ? -1 : idx;
    }

    /** The guest kernel's TCE number ({@code bus address >> page shift}) of index 0. */
    public long firstEntry() {
        return busOffset >>> pageShift;
    }

    /**
     * The index of the guest kernel's TCE number {@code entry} in a table of the same page size, or
     * -1 outside the table (H_PARAMETER): {@link #index} without the shift back and forth.
     */
    public long indexOfEntry(long entry) {
        long h = entry - firstEntry();
        return Long.compareUnsigned(h, nbTable) >= 0 ? -1 : h;
    }

    /**
     * The indexes {@code [r[0], r[1])} of TCE numbers {@code [entry, entry + pages)} (unsigned,
     * saturating) that lie in the table; {@code r[0] >= r[1]} when none do.
     */
    public long[] indexRange(long entry, long pages) {
        long base = firstEntry();
        long lastEntry = Long.compareUnsigned(entry + pages, entry) < 0 ? -1L : entry + pages;
        if (Long.compareUnsigned(lastEntry, base) <= 0) {
            return new long[] {0, 0};
        }
        long from = Long.compareUnsigned(entry, base) > 0 ? entry - base : 0;
        long to = Long.compareUnsigned(lastEntry - base, nbTable) < 0 ? lastEntry - base : nbTable;
        return new long[] {from, to};
    }
}
