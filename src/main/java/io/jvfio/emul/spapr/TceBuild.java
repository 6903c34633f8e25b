package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.KernelFix;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.PhysBlock;
import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprPhb;
import io.jvfio.emul.papr.SpaprTceTable;
import io.jvfio.emul.pseries.IommuTable;
import java.lang.foreign.MemorySegment;

/**
 * MAP_DMA and UNMAP_DMA of a {@link TceContainer}: the parameter checks, {@code tce_iommu_build}
 * (v1: pin per page), {@code tce_iommu_build_v2} (pre-registered memory, the userspace view) and
 * {@code tce_iommu_clear} (drivers/vfio/vfio_iommu_spapr_tce.c, Linux 6.12), writing the
 * hypervisor's TCEs as the pSeries {@code tce_exchange} does through H_PUT_TCE.
 */
final class TceBuild {
    private static final long H_PARAMETER = SpaprPhb.H_PARAMETER;

    private final TceContainer c;

    TceBuild(TceContainer c) {
        this.c = c;
    }

    private static boolean putParamCheckFails(IommuTable tbl, long iova, long gpa) {
        long mask = (1L << tbl.pageShift()) - 1;
        if ((iova & mask) != 0) {
            return true;
        }
        long e = iova >>> tbl.pageShift();
        if (Long.compareUnsigned(e, tbl.itOffset()) < 0 || Long.compareUnsigned(e + 1, tbl.itOffset() + tbl.itSize()) > 0) {
            return true;
        }
        return (gpa & mask) != 0;
    }

    long mapDma(MemorySegment seg) {
        if (!c.enabled) {
            return -EPERM;
        }
        long bad = TceContainer.prologue(seg, vfio_iommu_type1_dma_map.MINSZ, false);
        if (bad != 0) {
            return bad;
        }
        int flags = vfio_iommu_type1_dma_map.flags.get(seg);
        if ((flags & ~(VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE)) != 0) {
            return -EINVAL;
        }
        long vaddr = vfio_iommu_type1_dma_map.vaddr.get(seg);
        long iova = vfio_iommu_type1_dma_map.iova.get(seg);
        long size = vfio_iommu_type1_dma_map.size.get(seg);
        long num = tableOf(iova);
        if (num < 0) {
            return num;
        }
        IommuTable tbl = c.tables[(int) num];
        long mask = (1L << tbl.pageShift()) - 1;
        if ((size & mask) != 0 || (vaddr & mask) != 0) {
            return -EINVAL;
        }
        long perm;
        if ((flags & VfioUapi.VFIO_DMA_MAP_FLAG_READ) != 0) {
            perm = (flags & VfioUapi.VFIO_DMA_MAP_FLAG_WRITE) != 0 ? SpaprTceTable.TCE_RW : SpaprTceTable.TCE_READ;
        } else if ((flags & VfioUapi.VFIO_DMA_MAP_FLAG_WRITE) != 0) {
            perm = SpaprTceTable.TCE_WRITE;
        } else {
            return -EINVAL;
        }
        if (putParamCheckFails(tbl, iova, vaddr)) {
            return 1; // -EINVAL || -EINVAL == 1: the macro's quirk
        }
        long entry = iova >>> tbl.pageShift();
        long pages = size >>> tbl.pageShift();
        return c.v2 ? buildV2(tbl, entry, vaddr, pages, perm) : build(tbl, entry, vaddr, pages, perm);
    }

    /**
     * How MAP_DMA and UNMAP_DMA both start in tce_iommu_ioctl: the deferred default window is created,
     * then the table holding {@code iova} is found. Its index, or -errno.
     */
    private long tableOf(long iova) {
        long ret = c.windows.createDefaultWindow();
        if (ret != 0) {
            return ret;
        }
        int num = c.windows.findTable(iova);
        return num < 0 ? -ENXIO : num;
    }

    long unmapDma(MemorySegment seg) {
        if (!c.enabled) {
            return -EPERM;
        }
        long bad = TceContainer.prologue(seg, vfio_iommu_type1_dma_unmap.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long iova = vfio_iommu_type1_dma_unmap.iova.get(seg);
        long size = vfio_iommu_type1_dma_unmap.size.get(seg);
        long num = tableOf(iova);
        if (num < 0) {
            return num;
        }
        IommuTable tbl = c.tables[(int) num];
        long mask = (1L << tbl.pageShift()) - 1;
        if ((size & mask) != 0) {
            return -EINVAL;
        }
        if ((iova & mask) != 0) {
            return 1; // iommu_tce_clear_param_check's || quirk
        }
        long entry = iova >>> tbl.pageShift();
        long pages = size >>> tbl.pageShift();
        if (c.tceRangeCheck && (Long.compareUnsigned(entry + pages, entry) < 0
                || Long.compareUnsigned(entry - tbl.itOffset() + pages, tbl.itSize()) > 0)) {
            return 1; // iommu_tce_check_ioba's whole-range -EINVAL through the || (0b271f7d7f5e): nothing cleared
        }
        // Without that fix iommu_tce_clear_param_check looks at the first entry only, and tce_iommu_clear makes
        // a failing H_PUT_TCE for every entry past the window: far past it the ioctl never returns.
        long past = entry + pages - (tbl.itOffset() + tbl.itSize());
        if (past > 0 && Long.compareUnsigned(past, NEVER_RETURNS_ENTRIES) >= 0) {
            throw c.oops.oops(String.format("UNMAP_DMA [0x%x, +0x%x) runs 0x%x TCEs past the end of the window [0x%x,"
                    + " 0x%x): a pSeries kernel without %s (6.12.95) never returns (tce_iommu_clear makes a failing"
                    + " H_PUT_TCE for each of them)", iova, size, past, tbl.start(), tbl.start() + tbl.size(),
                    KernelFix.TCE_RANGE_CHECK.commit()));
        }
        clear(tbl, entry, pages);
        return 0;
    }

    /**
     * Entries past a window's end from which an UNMAP_DMA is taken for one that never returns: 2^32
     * failing hypervisor calls are hours on hardware and days under TCG (0xfffffffffffff000 bytes of
     * 4 KiB pages, 2^52 of them, hung the 6.12 guest in {@code jvfio diff --degenerate}).
     */
    static final long NEVER_RETURNS_ENTRIES = 1L << 32;

    /** {@code tce_iommu_build} (v1): pin each page, write its TCE; on failure clear what was written. */
    private long build(IommuTable tbl, long entry, long tce, long pages, long perm) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        int shift = tbl.pageShift();
        long pageSize = 1L << shift;
        long pageMask = -(1L << c.kps);
        long ret = 0;
        long i;
        for (i = 0; Long.compareUnsigned(i, pages) < 0; i++) {
            PhysBlock b = c.as.pin(tce & pageMask); // pin_user_pages_fast
            if (b == null) {
                ret = -EFAULT;
                break;
            }
            long hpa = tce & pageMask;
            if (b.pageShift() < shift) {
                ret = -EPERM; // the pin is not dropped here, as in the kernel
                break;
            }
            long idx = phb.hIndex(ht, (entry + i) << shift);
            if (idx < 0) {
                c.as.unpin(b);
                ret = H_PARAMETER;
                break;
            }
            long old = ht.entries().exchange(idx, hpa | perm);
            if ((old & SpaprTceTable.TCE_RW) != 0) {
                c.as.unpinPhys(old & ~SpaprTceTable.TCE_RW);
            }
            tce += pageSize;
        }
        if (ret != 0) {
            clear(tbl, entry, i);
        }
        return ret;
    }

    /**
     * {@code tce_iommu_build_v2}: pre-registered memory only; records the userspace address per TCE.
     * Per entry exactly the kernel's steps; the region and page-size checks are cached over the
     * address range they were proven for, which is what makes large maps cheap.
     */
    private long buildV2(IommuTable tbl, long entry, long tce, long pages, long perm) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        int shift = tbl.pageShift();
        long pageSize = 1L << shift;
        // H_GET_TCE/H_PUT_TCE bounds, when the hypervisor window has the table's page size (always, in practice)
        boolean direct = ht != null && ht.enabled() && ht.pageShift() == shift;
        SparseTceTable hyp = direct ? ht.entries() : null;
        SparseTceTable view = tbl.view();
        long vcap = tbl.viewCapacity();
        long itOffset = tbl.itOffset();
        MmIommu.Region mem = null;
        long memLo = 1; // [memLo, memHi]: userspace addresses proven to pass mm_iommu_lookup and ua_to_hpa
        long memHi = 0;
        long blkLo = 1; // [blkLo, blkHi]: physical addresses proven to pass tce_page_is_contained
        long blkHi = 0;
        long ret = 0;
        long i;
        for (i = 0; Long.compareUnsigned(i, pages) < 0; i++) {
            long e = entry + i;
            if (Long.compareUnsigned(tce, memLo) < 0 || Long.compareUnsigned(tce, memHi) > 0) {
                mem = c.mm.lookup(tce, pageSize);
                if (mem == null || MmIommu.uaToHpa(mem, tce, shift, c.kps) == -1) {
                    ret = -EINVAL;
                    break;
                }
                memLo = mem.ua();
                memHi = mem.ua() + mem.size() - pageSize;
            }
            long hpa = tce; // the emulator maps process memory 1:1
            if (Long.compareUnsigned(hpa, blkLo) < 0 || Long.compareUnsigned(hpa, blkHi) > 0) {
                PhysBlock b = c.as.physBlock(hpa);
                if (b == null || b.pageShift() < shift) {
                    ret = -EPERM; // tce_page_is_contained
                    break;
                }
                blkLo = b.address();
                blkHi = b.address() + b.size() - 1;
            }
            if (!MmIommu.mappedInc(mem)) {
                break; // "The registered region is being unregistered": ret stays 0
            }
            long h;
            SparseTceTable hy;
            if (direct) {
                h = ht.indexOfEntry(e);
                hy = hyp;
            } else {
                h = phb.hIndex(ht, e << shift);
                hy = h < 0 ? null : ht.entries();
            }
            if (h < 0) {
                // the hypervisor rejects the TCE (H_PARAMETER): unwind this entry
                unusePageV2(tbl, e, entry, pages);
                ret = H_PARAMETER;
                break;
            }
            long old = hy.exchange(h, hpa | perm);
            if ((old & SpaprTceTable.TCE_RW) != 0) {
                unusePageV2(tbl, e, entry, pages);
            }
            // *pua = cpu_to_be64(tce)
            if (view == null) {
                throw c.oops.oops(mapRange(tbl, entry, pages) + ": the window's userspace view could not be allocated"
                        + " (vzalloc of 8 bytes per TCE failed), it_userspace is NULL and the 6.12 pSeries kernel"
                        + " oopses writing through it in tce_iommu_build_v2; see the emulator's package notes");
            }
            long vidx = e - itOffset;
            if (Long.compareUnsigned(vidx, vcap) >= 0) {
                throw c.oops.oops(mapRange(tbl, entry, pages) + " crosses the end of the window: the pSeries kernel"
                        + " oopses here (6.12.95 and 7.2.12 alike; tce_iommu_build_v2 writes it_userspace past"
                        + " its end); see guest-recipe.md 'Kernel bugs'");
            }
            view.exchange(vidx, tce);
            tce += pageSize;
        }
        if (ret != 0) {
            clear(tbl, entry, i);
        }
        return ret;
    }

    private static String mapRange(IommuTable tbl, long entry, long pages) {
        long start = entry << tbl.pageShift();
        return String.format("v2 MAP_DMA [0x%x, 0x%x) in the window [0x%x, 0x%x)", start,
                start + (pages << tbl.pageShift()), tbl.start(), tbl.start() + tbl.size());
    }

    /**
     * {@code tce_iommu_unuse_page_v2}: reads the userspace view, drops the region's mapped count,
     * clears the view entry. {@code pages} < 0 when called from a clear (for the message).
     */
    private void unusePageV2(IommuTable tbl, long e, long entry, long pages) {
        SparseTceTable view = tbl.view();
        if (view == null) {
            return;
        }
        long idx = e - tbl.itOffset();
        if (Long.compareUnsigned(idx, tbl.viewCapacity()) >= 0) {
            String what = pages >= 0
                    ? mapRange(tbl, entry, pages) + " crosses the end of the window"
                    : String.format("clearing the TCE at 0x%x, past the end of the window's userspace view",
                            e << tbl.pageShift());
            throw c.oops.oops(what + ": the 6.12 pSeries kernel oopses here (tce_iommu_unuse_page_v2 reads"
                    + " it_userspace past its end: \"Kernel access of bad area\"); see guest-recipe.md 'Kernel bugs'");
        }
        long oldUa = view.exchange(idx, 0);
        int shift = tbl.pageShift();
        MmIommu.Region mem = c.mm.lookup(oldUa, 1L << shift);
        if (mem != null && MmIommu.uaToHpa(mem, oldUa, shift, c.kps) != -1) {
            MmIommu.mappedDec(mem);
        }
    }

    /**
     * {@code tce_iommu_clear}: exchanges every entry of [entry, entry+pages) with 0 and releases what
     * the old TCE held. Entries the hypervisor rejects (outside its window) are skipped, as the
     * kernel skips them. Only non-empty entries are visited: empty ones change nothing.
     */
    void clear(IommuTable tbl, long entry, long pages) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        if (ht == null || !ht.enabled() || pages == 0 || ht.pageShift() != tbl.pageShift()) {
            return;
        }
        long base = ht.firstEntry();
        long[] range = ht.indexRange(entry, pages);
        long from = range[0];
        long to = range[1];
        if (Long.compareUnsigned(from, to) >= 0) {
            return;
        }
        if (c.v2) {
            ht.entries().clearRange(from, to, (h, old) -> {
                if ((old & SpaprTceTable.TCE_RW) != 0) {
                    unusePageV2(tbl, base + h, 0, -1);
                }
            });
        } else {
            ht.entries().clearRange(from, to, (h, old) -> {
                if ((old & SpaprTceTable.TCE_RW) != 0) {
                    c.as.unpinPhys(old & ~SpaprTceTable.TCE_RW);
                }
            });
        }
    }
}
