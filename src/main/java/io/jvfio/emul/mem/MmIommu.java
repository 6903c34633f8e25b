package io.jvfio.emul.mem;

import io.jvfio.backend.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The process's pre-registered memory for the SPAPR v2 IOMMU (arch/powerpc/mm/book3s64/iommu_api.c):
 * {@code mm->context.iommu_group_mem_list}. Regions belong to the process, not to a container:
 * every container of the process finds them, and a region stays while any container uses it or any
 * TCE maps it.
 *
 * <p>Faithful to the kernel's reference counting: {@code used} counts users, {@code mapped} starts
 * at 1 and counts TCEs on top. The last put of a region that still has TCEs fails with EBUSY and
 * keeps the region (the SPAPR driver ignores that failure on UNREGISTER, so such a region outlives
 * its registration; see the package notes).
 */
public final class MmIommu {
    /** pin_user_pages batch in mm_iommu_do_alloc: (PAGE_SIZE << MAX_PAGE_ORDER) / sizeof(void *), MAX_PAGE_ORDER 10. */
    static final long PIN_CHUNK_ENTRIES = (4096L << 10) / 8;

    /** One {@code mm_iommu_table_group_mem_t}. */
    public static final class Region {
        final long ua;
        final long entries;
        final long size;
        long used;
        long mapped;
        long pageShift;
        final List<PhysBlock> pins = new ArrayList<>();

        Region(long ua, long entries, long size) {
            this.ua = ua;
            this.entries = entries;
            this.size = size;
        }

        public long ua() {
            return ua;
        }

        public long size() {
            return size;
        }

        public long entries() {
            return entries;
        }

        public long used() {
            return used;
        }

        /** TCEs mapping this region ({@code mapped - 1}). */
        public long mappedTces() {
            return Math.max(0, mapped - 1);
        }

        /** The largest IOMMU page this region can back (log2). */
        public long pageShift() {
            return pageShift;
        }
    }

    /** The result of {@link #newRegion}: the region, or a return value (negative errno, or the kernel's positive partial-pin count). */
    public record NewResult(Region region, long ret) {}

    /** The kernel's WARNING on a 0-byte region (vzalloc(0)), as its log shows it. */
    public static final String VZALLOC_ZERO_WARNING = "WARNING: at mm/vmalloc.c:3790 __vmalloc_node_range_noprof"
            + " (WARN_ON_ONCE(!size): vzalloc(0) from mm_iommu_do_alloc, a REGISTER_MEMORY of 0 bytes)";

    private final AddressSpace as;
    private final Consumer<String> warnOnce;
    private final List<Region> list = new ArrayList<>(); // index 0 = list head (newest)
    private Region last;

    /**
     * @param warnOnce logs a kernel WARN_ON_ONCE message: once per boot for the same message
     */
    public MmIommu(AddressSpace as, Consumer<String> warnOnce) {
        this.as = as;
        this.warnOnce = warnOnce;
    }

    public List<Region> regions() {
        return List.copyOf(list);
    }

    /** {@code mm_iommu_get}: the region with exactly this start and size, with one more user; or null. */
    public Region get(long ua, long entries) {
        for (Region r : list) {
            if (r.ua == ua && r.entries == entries) {
                r.used++;
                return r;
            }
        }
        return null;
    }

    /**
     * {@code mm_iommu_new}: charges locked_vm, pins every page (long term), rejects overlaps, and
     * records the largest page size that backs the whole region.
     */
    public NewResult newRegion(long ua, long entries) {
        if (entries == 0) {
            // locked_vm charged nothing; vzalloc(0) of the hpas array WARNs (once per boot) and returns NULL
            warnOnce.accept(VZALLOC_ZERO_WARNING);
            return new NewResult(null, -Errno.ENOMEM);
        }
        int ps = as.pageShift();
        long size = entries << ps;
        int r = as.accountLockedVm(entries, true);
        if (r != 0) {
            return new NewResult(null, r);
        }
        Region mem = new Region(ua, entries, size);
        long base = ua | size;
        mem.pageShift = base == 0 ? 0xffffffffL : Long.numberOfTrailingZeros(base);

        // pin, in address order, mapping by mapping; a hole ends the pinning
        long pinned = 0;
        long cursor = ua;
        long end = ua + size;
        List<Vma> pieces = new ArrayList<>();
        while (cursor - end < 0 && pinned < entries) {
            Vma v = as.findVma(cursor);
            if (v == null) {
                break;
            }
            long pieceEnd = Math.min(end, v.end());
            as.pin(v.block);
            mem.pins.add(v.block);
            pieces.add(v);
            pinned += (pieceEnd - cursor) >>> ps;
            cursor = pieceEnd;
        }
        if (pinned != entries) {
            // pin_user_pages of the failing batch returned how many it got, or -EFAULT for none
            long inBatch = pinned % PIN_CHUNK_ENTRIES;
            long ret = inBatch > 0 ? inBatch : -Errno.EFAULT;
            unpinAll(mem);
            as.accountLockedVm(entries, false);
            return new NewResult(null, ret);
        }
        for (Region m2 : list) {
            if (Long.compareUnsigned(m2.ua, ua + size) < 0 && Long.compareUnsigned(ua, m2.ua + m2.size) < 0) {
                unpinAll(mem);
                as.accountLockedVm(entries, false);
                return new NewResult(null, -Errno.EINVAL);
            }
        }
        // "Allow to use larger than 64k IOMMU pages. Only do that if we are backed by hugetlb."
        long pageshift = ps;
        for (Vma v : pieces) {
            if (mem.pageShift > ps && v.hugetlb()) {
                pageshift = v.pageShift();
            }
            mem.pageShift = Math.min(mem.pageShift, pageshift);
        }
        mem.mapped = 1;
        mem.used = 1;
        list.add(0, mem);
        return new NewResult(mem, 0);
    }

    private void unpinAll(Region mem) {
        for (PhysBlock b : mem.pins) {
            as.unpin(b);
        }
        mem.pins.clear();
    }

    /**
     * {@code mm_iommu_put}: 0; -ENOENT if unused; -EBUSY (and the region kept) when it is the last
     * user but TCEs still map it. The last put unpins and un-charges.
     */
    public long put(Region mem) {
        if (mem.used == 0) {
            return -Errno.ENOENT;
        }
        --mem.used;
        if (mem.used != 0) {
            return 0;
        }
        if (mem.mapped != 1) {
            ++mem.used;
            return -Errno.EBUSY;
        }
        mem.mapped = 0;
        list.remove(mem);
        if (last == mem) {
            last = null;
        }
        unpinAll(mem);
        as.accountLockedVm(mem.entries, false);
        return 0;
    }

    /** {@code mm_iommu_lookup}: the first region (newest first) containing [ua, ua+size), or null. */
    public Region lookup(long ua, long size) {
        Region m = last;
        if (m != null && m.mapped != 0 && contains(m, ua, size)) {
            return m;
        }
        for (Region r : list) {
            if (contains(r, ua, size)) {
                last = r;
                return r;
            }
        }
        return null;
    }

    private static boolean contains(Region r, long ua, long size) {
        return Long.compareUnsigned(r.ua, ua) <= 0 && Long.compareUnsigned(ua + size, r.ua + r.size) <= 0;
    }

    /**
     * {@code mm_iommu_ua_to_hpa}: the physical address of {@code ua} (the emulator maps 1:1, and the
     * region's pins keep it valid), or -1 (EFAULT) past the region or for a page larger than the
     * region's page size.
     */
    public static long uaToHpa(Region mem, long ua, int pageShift, int kernelPageShift) {
        long entry = (ua - mem.ua) >>> kernelPageShift;
        if (Long.compareUnsigned(entry, mem.entries) >= 0) {
            return -1;
        }
        if (pageShift > mem.pageShift) {
            return -1;
        }
        return ua;
    }

    /** {@code mm_iommu_mapped_inc}: false once the region is being released. */
    public static boolean mappedInc(Region mem) {
        if (mem.mapped == 0) {
            return false;
        }
        mem.mapped++;
        return true;
    }

    /** {@code mm_iommu_mapped_dec}: never below 1. */
    public static void mappedDec(Region mem) {
        if (mem.mapped != 1) {
            mem.mapped--;
        }
    }

    /** Process exit: every region goes. */
    public void dropAll() {
        for (Region r : list) {
            unpinAll(r);
        }
        list.clear();
        last = null;
    }
}
