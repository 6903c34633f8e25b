package io.jvfio.emul.pseries;

import io.jvfio.backend.Errno;
import io.jvfio.emul.Profile;
import io.jvfio.emul.papr.SpaprPhb;
import java.util.function.Consumer;

/**
 * One partitionable endpoint of the guest kernel's pSeries platform code as v6.11 made it
 * (arch/powerpc/platforms/pseries/iommu.c, "Reimplement the iommu table_group_ops for pSeries"):
 * the {@code iommu_table_group} with its ops, and the PE's device-tree node ({@code ibm,dma-window},
 * its saved copy, the DDW property, {@code ibm,ddw-applicable}). Talks to the hypervisor only
 * through the {@link SpaprPhb}'s RTAS calls and hcalls.
 *
 * <p>Errors are returned as the kernel returns them ({@code -errno}); {@code take_ownership}'s
 * failure value is the kernel's -1 (EPERM).
 */
public final class PseriesPe {
    public static final String DMA_WINDOW = "ibm,dma-window";
    public static final String DMA64_PROPNAME = "linux,dma64-ddr-window-info";

    /** The {@code ibm,dma-window} property (and its saved copy): LIOBN, bus offset, size. */
    record DmaWindowProp(long liobn, long offset, long size) {}

    /** The DDW property {@code linux,dma64-ddr-window-info}. */
    record DdwProp(long liobn, long dmaBase, int tceShift, int windowShift) {}

    /** The result of {@link #createTable}: a table, or an errno. */
    public record CreateResult(IommuTable table, long ret) {}

    private final int group;
    private final SpaprPhb phb;
    private final long kernelPageSize;
    private final long guestRamBytes;
    private final Consumer<String> dmesg;

    // struct iommu_table_group
    long tce32Start;
    long tce32Size;
    long pgsizes;
    long maxDynamicWindowsSupported;
    long maxLevels;
    final IommuTable[] tables = new IommuTable[2];

    // the PE's device-tree node
    private DmaWindowProp dmaWindow;
    private DmaWindowProp dmaWindowSaved;
    private DdwProp ddw;
    private final boolean ddwApplicable;
    private final boolean resetExt;
    private boolean failedDdw;

    public PseriesPe(int group, SpaprPhb phb, Profile p, Consumer<String> dmesg) {
        this.group = group;
        this.phb = phb;
        this.kernelPageSize = p.kernelPageSize();
        this.guestRamBytes = p.guestRamBytes();
        this.dmesg = dmesg;
        this.ddwApplicable = phb.ddwEnabled();
        this.resetExt = phb.ddwEnabled();
        // boot: the firmware's ibm,dma-window, and the host DMA API's 4K table for it
        this.dmaWindow = new DmaWindowProp(SpaprPhb.liobn(phb.index(), 0), phb.dmaWinAddr(), phb.dmaWinSize());
        this.pgsizes = 0x1000; // iommu_pseries_alloc_group: SZ_4K
        tables[0] = hostTable(dmaWindow);
        initTableGroup();
    }

    private IommuTable hostTable(DmaWindowProp w) {
        return new IommuTable(phb, w.liobn, w.offset, w.size, 12, false, kernelPageSize, guestRamBytes, 0);
    }

    /** {@code spapr_tce_init_table_group}, at device setup. */
    private void initTableGroup() {
        tce32Start = dmaWindow.offset & 0xffffffffL;
        // "table_group->tce32_size = 1 << be32_to_cpu(prop.window_shift)": an int shift into a u32
        int shift = Long.numberOfTrailingZeros(dmaWindow.size);
        tce32Size = Integer.toUnsignedLong(1 << shift);
        if (!ddwApplicable) {
            maxDynamicWindowsSupported = 0xffffffffL; // -1
            return;
        }
        SpaprPhb.Query q = phb.rtasQuery();
        if (q.status() != 0) {
            maxDynamicWindowsSupported = 0xffffffffL;
            return;
        }
        maxDynamicWindowsSupported = q.windowsAvailable() == 0 ? 1 : 2;
        maxLevels = 1;
        pgsizes |= queryPageSizeToMask(q.pageMask());
    }

    /** {@code query_page_size_to_mask}: note its {@code int ret}, which drops 16 GiB (2^34). */
    static long queryPageSizeToMask(int queryPageSize) {
        long[] shift = {1L << 12, 1L << 16, 1L << 24, 1L << 25, 1L << 26, 1L << 27, 1L << 28, 1L << 34, 1L << 21};
        int ret = 0;
        for (int i = 0; i < shift.length; i++) {
            if ((queryPageSize & (1 << i)) != 0) {
                ret |= (int) shift[i];
            }
        }
        return ret; // int to __u64: sign-extends
    }

    public int group() {
        return group;
    }

    public SpaprPhb phb() {
        return phb;
    }

    public long tce32Start() {
        return tce32Start;
    }

    public long tce32Size() {
        return tce32Size;
    }

    public long pgsizes() {
        return pgsizes;
    }

    /** As a u32 (0xFFFFFFFF when ibm,ddw-applicable is missing). */
    public long maxDynamicWindowsSupported() {
        return maxDynamicWindowsSupported;
    }

    public long maxLevels() {
        return maxLevels;
    }

    public boolean failedDdw() {
        return failedDdw;
    }

    public IommuTable table(int num) {
        return tables[num];
    }

    // ---- iommu_table_group_ops ---------------------------------------------------------------------

    /**
     * {@code spapr_tce_get_table_size}: ~0U for levels > 1, else window_size >> (page_shift - 3)
     * (8 bytes per TCE), the shift taken as powerpc's {@code srd} takes it (amount mod 128, >= 64 gives 0).
     */
    public static long getTableSize(int pageShift, long windowSize, int levels) {
        if (Integer.compareUnsigned(levels, 1) > 0) {
            return 0xffffffffL;
        }
        return ppcSrd(windowSize, pageShift - 3);
    }

    /** powerpc {@code sld}: the low 7 bits of the amount; 64..127 shift everything out. */
    public static long ppcSld(long v, int amount) {
        int a = amount & 127;
        return a >= 64 ? 0 : v << a;
    }

    /** powerpc {@code srd}. */
    public static long ppcSrd(long v, int amount) {
        int a = amount & 127;
        return a >= 64 ? 0 : v >>> a;
    }

    private boolean isDefaultWindowRequest(int pageShift, long windowSize) {
        return Long.compareUnsigned(windowSize, tce32Size) <= 0 && pageShift == 12;
    }

    private boolean isDefaultWindowTable(IommuTable t) {
        return Long.compareUnsigned(t.itSize << t.pageShift, tce32Size) <= 0 && t.pageShift == 12;
    }

    /** {@code spapr_tce_create_table}. */
    public CreateResult createTable(int num, int pageShift, long windowSize, int levels) {
        if (windowSize == 0 || (windowSize & (windowSize - 1)) != 0 || Integer.compareUnsigned(levels, 1) > 0) {
            return new CreateResult(null, -Errno.EINVAL);
        }
        int windowShift = 63 - Long.numberOfLeadingZeros(windowSize);
        if (failedDdw) {
            dmesg.accept("pci " + devName() + ": " + nodeName() + " in failed DDW device list");
            return new CreateResult(null, -Errno.ENODEV);
        }
        if (num == 0) {
            if (!isDefaultWindowRequest(pageShift, windowSize)) {
                if (ddw != null) {
                    dmesg.accept("pci " + devName() + ": " + nodeName() + ": 64-bit window already present.");
                    return new CreateResult(null, -Errno.EPERM);
                }
            } else if (dmaWindow == null) {
                if (ddw != null) {
                    dmesg.accept("pci " + devName() + ": " + nodeName()
                            + ": Attempt to create window#0 when 64-bit window is present.");
                    return new CreateResult(null, -Errno.EPERM);
                }
                restoreDefaultDmaWindow();
                DmaWindowProp w = dmaWindow;
                if (w == null) {
                    // of_parse_dma_window(NULL): not reachable with QEMU's device tree
                    return new CreateResult(null, -Errno.ENODEV);
                }
                // "Limit the default window size to window_size"
                IommuTable t = new IommuTable(phb, w.liobn, w.offset, 1L << windowShift, 12, true, kernelPageSize,
                        guestRamBytes, getTableSize(pageShift, windowSize, levels));
                tables[0] = t;
                return new CreateResult(t, 0);
            }
            // the default request with ibm,dma-window still present falls through to the DDW path
        }
        if (!ddwApplicable) {
            dmesg.accept("pci " + devName() + ": ibm,ddw-applicable not found");
            failedDdw = true;
            return new CreateResult(null, -Errno.EINVAL); // of_property_read_u32_array's -EINVAL
        }
        dmesg.accept("spapr_tce_create_table: Calling query " + nodeName());
        SpaprPhb.Query q = phb.rtasQuery();
        if (q.status() != 0) {
            failedDdw = true;
            return new CreateResult(null, q.status());
        }
        // "query.largest_available_block < (1ULL << (len - page_shift))", a u32 shift amount
        long need = ppcSld(1, windowShift - pageShift);
        if (Long.compareUnsigned(q.largestBlock(), need) < 0) {
            return new CreateResult(null, -Errno.EINVAL); // "Retry with smaller window size": not sticky
        }
        SpaprPhb.Create c = phb.rtasCreate(pageShift, windowShift);
        if (c.status() != 0) {
            dmesg.accept("spapr_tce_create_table: Create ddw failed " + nodeName());
            failedDdw = true;
            return new CreateResult(null, -Errno.ENODEV);
        }
        long winAddr = c.addr();
        if (ddw != null) {
            // of_add_property(): the property exists already
            dmesg.accept("pci " + devName() + ": unable to add DMA window property for " + nodeName() + ": -17");
            phb.rtasRemove(c.liobn());
            failedDdw = true;
            return new CreateResult(null, -Errno.EEXIST);
        }
        ddw = new DdwProp(c.liobn(), winAddr, pageShift, windowShift);
        IommuTable t = new IommuTable(phb, c.liobn(), winAddr, 1L << windowShift, pageShift, true, kernelPageSize,
                guestRamBytes, getTableSize(pageShift, windowSize, levels));
        tables[num] = t;
        return new CreateResult(t, 0);
    }

    /** {@code spapr_tce_set_window}: only the group's own table. */
    public long setWindow(int num, IommuTable tbl) {
        return tbl == tables[num] ? 0 : -Errno.EPERM;
    }

    /** {@code spapr_tce_unset_window} (with the 2025 "never set" fix). Does not clear TCEs. */
    public long unsetWindow(int num) {
        IommuTable tbl = tables[num];
        if (tbl == null) {
            return 0;
        }
        String winName = num == 0 && isDefaultWindowTable(tbl) ? DMA_WINDOW : DMA64_PROPNAME;
        boolean inHypervisor = !DMA_WINDOW.equals(winName) || defaultRemovedInHypervisor();
        if (removeDmaWindowNamed(inHypervisor, true, winName) != 0) {
            dmesg.accept("spapr_tce_unset_window: The existing DDW removal failed for node " + nodeName());
            failedDdw = true;
            return -Errno.ENODEV;
        }
        tables[num] = null;
        return 0;
    }

    /**
     * {@code spapr_tce_take_ownership}, at VFIO_GROUP_SET_CONTAINER: the PE ends with no table and
     * without its {@code ibm,dma-window} property, and any DDW is removed in the hypervisor. The
     * firmware's default window stays live in the hypervisor (see {@link #defaultRemovedInHypervisor}).
     */
    public long takeOwnership() {
        IommuTable tbl = tables[0];
        if (tbl == null && maxDynamicWindowsSupported != 1) {
            return 0;
        }
        // remove_dynamic_dma_windows
        if (ddw != null) {
            removeDmaWindowNamed(true, DMA64_PROPNAME);
            if (tables[1] != null) {
                tables[1] = null;
            } else if (tables[0] != null) {
                tables[0] = null;
            }
        }
        if (tables[0] != null) {
            removeDmaWindowNamed(defaultRemovedInHypervisor(), true, DMA_WINDOW);
            tables[0] = null;
        }
        return 0;
    }

    /** {@code spapr_tce_release_ownership}: back to the host's default window. */
    public void releaseOwnership() {
        if (tables[0] != null) {
            return;
        }
        restoreDefaultDmaWindow();
        DmaWindowProp w = dmaWindow;
        if (w == null) {
            return;
        }
        tables[0] = hostTable(w);
    }

    // ---- device tree and RTAS helpers ----------------------------------------------------------------

    /** Bytes of QEMU's {@code ibm,dma-window}: LIOBN, 2 address cells, 2 size cells. */
    static final int DEFAULT_WINDOW_PROP_BYTES = 4 + 4 * 2 + 4 * 2;
    /** {@code sizeof(struct dynamic_dma_window_prop)}: be32 liobn, be64 dma_base (8-aligned), be32, be32. */
    static final int DDW_PROP_BYTES = 24;

    /**
     * Whether removing the {@code ibm,dma-window} window (take_ownership, or unset_window of a
     * default-shaped table) calls ibm,remove-pe-dma-window. {@code remove_dma_window_named} calls it
     * only when {@code win->length >= sizeof(struct dynamic_dma_window_prop)}: QEMU's default-window
     * property is 20 bytes, so the kernel only drops the property and QEMU's default window stays
     * live. Observed on the real 6.12 guest: after REMOVE(0) of the pending default window, and after
     * REMOVE(0) of a materialised one, the next DDW lands at {@code dma64_win_addr} (1 << 59), and a
     * second DDW fails in RTAS (ENODEV). A default-shaped CREATE still lands at 0: its
     * ibm,reset-pe-dma-windows re-establishes the default window.
     *
     * <p>Deliberate difference: on a PE whose hypervisor offers a single window
     * ({@code max_dynamic_windows_supported == 1}, the {@code sriov-vf} profile, which has no QEMU
     * equivalent) the default window is removed in the hypervisor, so that a DDW can replace it.
     * The kernel source would apply the same length check there; unverified.
     */
    private boolean defaultRemovedInHypervisor() {
        return DEFAULT_WINDOW_PROP_BYTES >= DDW_PROP_BYTES || maxDynamicWindowsSupported == 1;
    }

    /** {@code restore_default_dma_window}: ibm,reset-pe-dma-windows, then the saved property back. */
    private void restoreDefaultDmaWindow() {
        if (resetExt) {
            phb.rtasReset();
        }
        if (dmaWindowSaved != null && dmaWindow == null) {
            dmaWindow = dmaWindowSaved;
        }
    }

    /** {@code remove_dma_window_named}: -EINVAL without the property, 0 otherwise (RTAS failures are only logged). */
    private int removeDmaWindowNamed(boolean removeProp, String winName) {
        return removeDmaWindowNamed(true, removeProp, winName);
    }

    /**
     * As {@link #removeDmaWindowNamed(boolean, String)}; {@code inHypervisor} false drops only the
     * device-tree property and leaves the hypervisor's window live (take_ownership's default window).
     */
    private int removeDmaWindowNamed(boolean inHypervisor, boolean removeProp, String winName) {
        boolean isDefault = DMA_WINDOW.equals(winName);
        long liobn;
        if (isDefault) {
            if (dmaWindow == null) {
                return -Errno.EINVAL;
            }
            liobn = dmaWindow.liobn;
        } else {
            if (ddw == null) {
                return -Errno.EINVAL;
            }
            liobn = ddw.liobn;
        }
        if (!ddwApplicable) {
            return 0; // no remove token: nothing removed, the property stays
        }
        if (inHypervisor) {
            int rc = phb.rtasRemove(liobn);
            if (rc != 0) {
                dmesg.accept(nodeName() + ": failed to remove DMA window: rtas returned " + rc);
            }
        }
        if (!removeProp) {
            return 0;
        }
        if (isDefault) {
            if (dmaWindowSaved == null) {
                dmaWindowSaved = dmaWindow;
            }
            dmaWindow = null;
        } else {
            ddw = null;
        }
        return 0;
    }

    public boolean hasDefaultWindowProperty() {
        return dmaWindow != null;
    }

    public boolean hasDdwProperty() {
        return ddw != null;
    }

    private String nodeName() {
        return String.format("/pci@%x", phb.buid());
    }

    private String devName() {
        return String.format("%04x:00:00.0", phb.index());
    }
}
