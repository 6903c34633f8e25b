package io.jvfio.emul.pseries;

import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprPhb;

/**
 * The guest kernel's {@code struct iommu_table} for one DMA window: LIOBN, entry range
 * [itOffset, itOffset+itSize) in units of 2^pageShift, and for VFIO tables the
 * {@code it_userspace} view (the userspace address behind each TCE, v2 only).
 *
 * <p>The view is what {@code pseries_tce_iommu_userspace_view_alloc} vzallocs:
 * ALIGN(8 * it_size, PAGE_SIZE) bytes. Indexes past {@link #viewCapacity()} are outside the
 * allocation: the kernel faults there. When the vzalloc fails (more than guest RAM) the view is
 * NULL and every v2 MAP into the window faults.
 */
public final class IommuTable {
    final SpaprPhb phb;
    final long liobn;
    final long itOffset;
    final long itSize;
    final int pageShift;
    final SparseTceTable view;
    final long viewCapacity;
    final long allocatedSize;
    final boolean vfioTable;

    IommuTable(SpaprPhb phb, long liobn, long busAddr, long windowSize, int pageShift, boolean vfioTable, long kernelPageSize,
            long guestRamBytes, long allocatedSize) {
        this.phb = phb;
        this.liobn = liobn;
        this.pageShift = pageShift;
        this.itOffset = busAddr >>> pageShift;
        this.itSize = windowSize >>> pageShift;
        this.vfioTable = vfioTable;
        this.allocatedSize = allocatedSize;
        if (vfioTable) {
            long bytes = itSize * 8;
            long cb = (bytes + kernelPageSize - 1) & -kernelPageSize;
            if (itSize > (Long.MAX_VALUE >>> 4) || cb > guestRamBytes || cb < 0) {
                this.view = null;
                this.viewCapacity = 0;
            } else {
                this.view = new SparseTceTable(cb / 8);
                this.viewCapacity = cb / 8;
            }
        } else {
            this.view = null;
            this.viewCapacity = 0;
        }
    }

    /** The hypervisor PHB that owns the LIOBN (the target of this table's hcalls). */
    public SpaprPhb phb() {
        return phb;
    }

    public long liobn() {
        return liobn;
    }

    public long itOffset() {
        return itOffset;
    }

    public long itSize() {
        return itSize;
    }

    public int pageShift() {
        return pageShift;
    }

    /** Bus address of the first byte. */
    public long start() {
        return itOffset << pageShift;
    }

    /** Window size in bytes. */
    public long size() {
        return itSize << pageShift;
    }

    /** The userspace view, or null (allocation failed, or not a VFIO table). */
    public SparseTceTable view() {
        return view;
    }

    /** Entries inside the view's allocation (its page-rounded size / 8). */
    public long viewCapacity() {
        return viewCapacity;
    }

    /** {@code it_allocated_size}: what VFIO charged for this table. */
    public long allocatedSize() {
        return allocatedSize;
    }

    /** {@code tce_iommu_find_table}'s test: does {@code ioba}'s entry fall in this window. */
    public boolean containsIoba(long ioba) {
        long entry = ioba >>> pageShift;
        return Long.compareUnsigned(itOffset, entry) <= 0 && Long.compareUnsigned(entry, itOffset + itSize) < 0;
    }
}
