package io.jvfio.emul.papr;

import io.jvfio.emul.Profile;

/**
 * One sPAPR PCI host bridge of QEMU 7.2 (hw/ppc/spapr_pci.c, spapr_rtas_ddw.c, spapr_iommu.c) as the
 * guest sees it through RTAS and hcalls: its DMA windows (one {@link SpaprTceTable} per LIOBN), the
 * four DDW RTAS calls, H_GET_TCE/H_PUT_TCE, and the DMA translation its devices go through.
 *
 * <p>QEMU's SPAPR_PCI_DMA_MAX_WINDOWS (2) is the profile's {@code windowsSupported}; 1 models a PE
 * whose only window the DDW must replace (an SR-IOV VF on PowerVM).
 */
public final class SpaprPhb {
    public static final int RTAS_OUT_SUCCESS = 0;
    public static final int RTAS_OUT_HW_ERROR = -1;
    public static final int RTAS_OUT_PARAM_ERROR = -3;
    public static final long H_SUCCESS = 0;
    public static final long H_PARAMETER = -4;

    /** LoPAR page-size bits of ibm,query-pe-dma-window, as QEMU 7.2 maps them (2M added in 2022). */
    public static final int DDW_PGSIZE_4K = 0x01, DDW_PGSIZE_64K = 0x02, DDW_PGSIZE_16M = 0x04,
            DDW_PGSIZE_32M = 0x08, DDW_PGSIZE_64M = 0x10, DDW_PGSIZE_128M = 0x20, DDW_PGSIZE_256M = 0x40,
            DDW_PGSIZE_16G = 0x80, DDW_PGSIZE_2M = 0x100;
    private static final int[][] QUERY_MASK = {
        {12, DDW_PGSIZE_4K}, {16, DDW_PGSIZE_64K}, {24, DDW_PGSIZE_16M}, {25, DDW_PGSIZE_32M},
        {26, DDW_PGSIZE_64M}, {27, DDW_PGSIZE_128M}, {28, DDW_PGSIZE_256M}, {34, DDW_PGSIZE_16G},
        {21, DDW_PGSIZE_2M},
    };

    /** The outputs of ibm,query-pe-dma-window (6-output form, QEMU 7.2 with ddw-extensions {2, reset, 1}). */
    public record Query(int status, int windowsAvailable, long largestBlock, int pageMask) {}

    /** The outputs of ibm,create-pe-dma-window. */
    public record Create(int status, long liobn, long addr) {}

    private final int index;
    private final long buid;
    private final long dmaWinAddr;
    private final long dmaWinSize;
    private final long dma64WinAddr;
    private final long pageSizeMask;
    private final boolean ddwEnabled;
    private final long largestBlock;
    private final SpaprTceTable[] tables;

    public SpaprPhb(int index, Profile p) {
        this.index = index;
        this.buid = 0x800000020000000L + index; // SPAPR_PCI_BASE_BUID + index
        this.dmaWinAddr = p.dma32WindowStart();
        this.dmaWinSize = p.dma32WindowSize();
        this.dma64WinAddr = p.dma64WindowAddr();
        this.pageSizeMask = p.pgsizes();
        this.ddwEnabled = p.ddwEnabled();
        this.largestBlock = p.largestBlockTces();
        // QEMU: two LIOBNs per PHB when ddw is on ("windows supported = 2 if ddw else 1")
        int n = p.ddwEnabled() ? p.windowsSupported() : 1;
        this.tables = new SpaprTceTable[n];
        for (int i = 0; i < n; i++) {
            tables[i] = new SpaprTceTable(liobn(index, i));
        }
        dmaReset(); // machine reset
    }

    /** SPAPR_PCI_LIOBN(phb index, window number). */
    public static long liobn(int phbIndex, int window) {
        return 0x80000000L | ((long) phbIndex << 8) | window;
    }

    public int index() {
        return index;
    }

    public long buid() {
        return buid;
    }

    public long dmaWinAddr() {
        return dmaWinAddr;
    }

    public long dmaWinSize() {
        return dmaWinSize;
    }

    public boolean ddwEnabled() {
        return ddwEnabled;
    }

    /** The window tables (LIOBN order). */
    public SpaprTceTable[] tables() {
        return tables;
    }

    /** The table with this LIOBN, or null. */
    public SpaprTceTable byLiobn(long liobn) {
        for (SpaprTceTable t : tables) {
            if (t.liobn == liobn) {
                return t;
            }
        }
        return null;
    }

    /** The LoPAR query mask for this PHB's page sizes ({@code spapr_page_mask_to_query_mask}). */
    public int queryPageMask() {
        int mask = 0;
        for (int[] m : QUERY_MASK) {
            if ((pageSizeMask & (1L << m[0])) != 0) {
                mask |= m[1];
            }
        }
        return mask;
    }

    public int activeWindows() {
        int n = 0;
        for (SpaprTceTable t : tables) {
            if (t.enabled()) {
                n++;
            }
        }
        return n;
    }

    /** {@code spapr_phb_dma_reset}: disable every window, re-enable the default one (4K, dma_win_addr/size). */
    public void dmaReset() {
        for (SpaprTceTable t : tables) {
            if (t.enabled()) {
                t.disable();
            }
        }
        SpaprTceTable t = tables[0];
        t.enable(12, dmaWinAddr, (dmaWinSize >>> 12) & 0xffffffffL);
        t.defWin = true;
    }

    // ---- RTAS --------------------------------------------------------------------------------------

    /** ibm,query-pe-dma-window. */
    public Query rtasQuery() {
        if (!ddwEnabled) {
            return new Query(RTAS_OUT_PARAM_ERROR, 0, 0, 0);
        }
        int avail = tables.length - activeWindows();
        return new Query(RTAS_OUT_SUCCESS, avail, largestBlock, queryPageMask());
    }

    /** ibm,create-pe-dma-window(page_shift, window_shift). */
    public Create rtasCreate(int pageShift, int windowShift) {
        if (!ddwEnabled) {
            return new Create(RTAS_OUT_PARAM_ERROR, 0, 0);
        }
        SpaprTceTable free = null;
        for (SpaprTceTable t : tables) {
            if (!t.enabled()) {
                free = t; // spapr_phb_get_free_liobn: first free child (LIOBN order assumed)
                break;
            }
        }
        int windows = activeWindows();
        // u32 RTAS arguments; QEMU runs on an x86-64 host, where 1ULL << n uses n mod 64 (as Java does)
        boolean pageOk = (pageSizeMask & (1L << pageShift)) != 0;
        if (!pageOk || Integer.compareUnsigned(windowShift, pageShift) < 0) {
            return new Create(RTAS_OUT_PARAM_ERROR, 0, 0);
        }
        if (free == null || windows == tables.length) {
            return new Create(RTAS_OUT_HW_ERROR, 0, 0);
        }
        long winAddr = windows == 0 ? dmaWinAddr : dma64WinAddr;
        long entries = 1L << (windowShift - pageShift);
        // spapr_tce_table_enable() takes uint32_t nb_table
        free.enable(pageShift, winAddr, entries & 0xffffffffL);
        if (!free.enabled()) {
            return new Create(RTAS_OUT_HW_ERROR, 0, 0);
        }
        return new Create(RTAS_OUT_SUCCESS, free.liobn, free.busOffset);
    }

    /** ibm,remove-pe-dma-window(liobn), with QEMU 7.1's "restore the default window" rule. */
    public int rtasRemove(long liobn) {
        SpaprTceTable t = byLiobn(liobn);
        if (t == null || !ddwEnabled || !t.enabled()) {
            return RTAS_OUT_PARAM_ERROR;
        }
        boolean defWinRemoved = t.defWin;
        t.disable();
        if (activeWindows() == 0 && !defWinRemoved) {
            dmaReset();
        }
        return RTAS_OUT_SUCCESS;
    }

    /** ibm,reset-pe-dma-window. */
    public int rtasReset() {
        if (!ddwEnabled) {
            return RTAS_OUT_PARAM_ERROR;
        }
        dmaReset();
        return RTAS_OUT_SUCCESS;
    }

    // ---- hcalls ------------------------------------------------------------------------------------

    /** H_GET_TCE: the entry, or {@code null}-equivalent via {@link #hIndex}; callers check bounds first. */
    public long hIndex(SpaprTceTable t, long ioba) {
        if (t == null) {
            return -1;
        }
        long mask = -(1L << t.pageShift);
        return t.index(ioba & mask);
    }

    /** H_PUT_TCE(liobn, ioba, tce): H_SUCCESS or H_PARAMETER. */
    public long hPutTce(long liobn, long ioba, long tce) {
        SpaprTceTable t = byLiobn(liobn);
        long idx = hIndex(t, ioba);
        if (idx < 0) {
            return H_PARAMETER;
        }
        t.table.exchange(idx, tce);
        return H_SUCCESS;
    }

    // ---- DMA ---------------------------------------------------------------------------------------

    /**
     * Translates a bus address through the window containing it ({@code spapr_tce_translate_iommu}).
     * Returns the guest physical address, or -1 when no window contains it, the TCE is empty, or
     * its permission lacks {@code write ? TCE_WRITE : TCE_READ}. {@code pageOut[0]} receives the
     * window's page size (or 4096 when untranslated) so callers can split accesses per IOMMU page.
     */
    public long translate(long busAddr, boolean write, long[] pageOut) {
        for (SpaprTceTable t : tables) {
            if (!t.enabled()) {
                continue;
            }
            long idx = (busAddr - t.busOffset) >>> t.pageShift;
            if (Long.compareUnsigned(busAddr, t.busOffset) >= 0 && Long.compareUnsigned(idx, t.nbTable) < 0) {
                long pageSize = 1L << t.pageShift;
                pageOut[0] = pageSize;
                long tce = t.table.get(idx);
                long need = write ? SpaprTceTable.TCE_WRITE : SpaprTceTable.TCE_READ;
                if ((tce & need) == 0) {
                    return -1;
                }
                return (tce & -pageSize) | (busAddr & (pageSize - 1));
            }
        }
        pageOut[0] = 4096;
        return -1;
    }
}
