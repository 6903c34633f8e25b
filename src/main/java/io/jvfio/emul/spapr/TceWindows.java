package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.backend.Errno.ENXIO;

import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.emul.pseries.IommuTable;
import io.jvfio.emul.pseries.PseriesPe;
import java.lang.foreign.MemorySegment;

/**
 * The DMA windows of a {@link TceContainer}: {@code tce_iommu_create_window},
 * {@code tce_iommu_remove_window}, the lazily created default window and the
 * VFIO_IOMMU_SPAPR_TCE_CREATE/REMOVE ioctls (drivers/vfio/vfio_iommu_spapr_tce.c, Linux 6.12).
 */
final class TceWindows {
    private final TceContainer c;

    TceWindows(TceContainer c) {
        this.c = c;
    }

    int findTable(long ioba) {
        for (int i = 0; i < TceContainer.MAX_TABLES; i++) {
            IommuTable t = c.tables[i];
            if (t != null && t.containsIoba(ioba)) {
                return i;
            }
        }
        return -1;
    }

    private int findFreeTable() {
        for (int i = 0; i < TceContainer.MAX_TABLES; i++) {
            if (c.tables[i] == null) {
                return i;
            }
        }
        return -ENOSPC;
    }

    /** {@code tce_iommu_create_window}; {@code start[0]} receives the bus address. */
    private long createWindow(int pageShift, long windowSize, int levels, long[] start) {
        int num = findFreeTable();
        if (num < 0) {
            return num;
        }
        PseriesPe pe = c.groups.get(0);
        if ((pe.pgsizes() & PseriesPe.ppcSld(1, pageShift)) == 0) {
            return -EINVAL;
        }
        // tce_iommu_create_table
        long tableSize = PseriesPe.getTableSize(pageShift, windowSize, levels);
        if (tableSize == 0) {
            return -EINVAL;
        }
        int r = c.as.accountLockedVm(tableSize >> c.kps, true);
        if (r != 0) {
            return r;
        }
        PseriesPe.CreateResult cr = pe.createTable(num, pageShift, windowSize, levels);
        if (cr.ret() != 0) {
            return cr.ret(); // the locked_vm charge is not undone (as in tce_iommu_create_table)
        }
        IommuTable tbl = cr.table();
        for (PseriesPe g : c.groups) {
            long ret = g.setWindow(num, tbl);
            if (ret != 0) {
                for (PseriesPe g2 : c.groups) {
                    g2.unsetWindow(num);
                }
                freeTable(tbl);
                return ret;
            }
        }
        c.tables[num] = tbl;
        start[0] = tbl.start();
        return 0;
    }

    void freeTable(IommuTable tbl) {
        c.as.accountLockedVm(tbl.allocatedSize() >>> c.kps, false);
    }

    private long removeWindow(long startAddr) {
        int num = findTable(startAddr);
        if (num < 0) {
            return -EINVAL;
        }
        IommuTable tbl = c.tables[num];
        c.build.clear(tbl, tbl.itOffset(), tbl.itSize());
        for (PseriesPe g : c.groups) {
            g.unsetWindow(num);
        }
        freeTable(tbl);
        c.tables[num] = null;
        return 0;
    }

    /** {@code tce_iommu_create_default_window}: the lazily created 4K window of tce32_size. */
    long createDefaultWindow() {
        if (!c.defWindowPending) {
            return 0;
        }
        if (c.groups.isEmpty()) {
            return -ENODEV;
        }
        PseriesPe pe = c.groups.get(0);
        long[] start = new long[1];
        long ret = createWindow(12, pe.tce32Size(), 1, start);
        if (ret == 0) {
            c.defWindowPending = false;
        }
        return ret;
    }

    long create(MemorySegment seg) {
        c.mmSet = true;
        if (c.groups.isEmpty()) {
            return -ENXIO;
        }
        long bad = TceContainer.prologue(seg, vfio_iommu_spapr_tce_create.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        int pageShift = vfio_iommu_spapr_tce_create.page_shift.get(seg);
        long windowSize = vfio_iommu_spapr_tce_create.window_size.get(seg);
        int levels = vfio_iommu_spapr_tce_create.levels.get(seg);
        long ret = createDefaultWindow();
        long[] start = new long[1];
        if (ret == 0) {
            ret = createWindow(pageShift, windowSize, levels, start);
        }
        if (ret == 0) {
            vfio_iommu_spapr_tce_create.start_addr.set(seg, start[0]); // the whole struct goes back; only start_addr changed
        }
        return ret;
    }

    long remove(MemorySegment seg) {
        c.mmSet = true;
        if (c.groups.isEmpty()) {
            return -ENXIO;
        }
        long bad = TceContainer.prologue(seg, vfio_iommu_spapr_tce_remove.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long startAddr = vfio_iommu_spapr_tce_remove.start_addr.get(seg);
        if (c.defWindowPending && startAddr == 0) {
            c.defWindowPending = false;
            return 0;
        }
        return removeWindow(startAddr);
    }
}
