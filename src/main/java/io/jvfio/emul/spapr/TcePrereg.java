package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.EPERM;

import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.emul.mem.MmIommu;
import java.lang.foreign.MemorySegment;

/**
 * Pre-registration of a v2 {@link TceContainer}: VFIO_IOMMU_SPAPR_(UN)REGISTER_MEMORY as
 * {@code tce_iommu_register_pages}/{@code tce_iommu_unregister_pages} in
 * drivers/vfio/vfio_iommu_spapr_tce.c call into {@code mm_iommu_*} of
 * arch/powerpc/mm/book3s64/iommu_api.c ({@link MmIommu}).
 */
final class TcePrereg {
    private final TceContainer c;

    TcePrereg(TceContainer c) {
        this.c = c;
    }

    long registerMemory(MemorySegment seg) {
        c.mmSet = true;
        long bad = TceContainer.prologue(seg, vfio_iommu_spapr_register_memory.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long vaddr = vfio_iommu_spapr_register_memory.vaddr.get(seg);
        long size = vfio_iommu_spapr_register_memory.size.get(seg);
        long pageMask = (1L << c.kps) - 1;
        if ((vaddr & pageMask) != 0 || (size & pageMask) != 0 || Long.compareUnsigned(vaddr + size, vaddr) < 0) {
            return -EINVAL;
        }
        long entries = size >>> c.kps;
        MmIommu.Region mem = c.mm.get(vaddr, entries);
        if (mem != null) {
            for (MmIommu.Region r : c.prereg) {
                if (r == mem) {
                    c.mm.put(mem);
                    return -EBUSY;
                }
            }
        } else {
            if (c.kps == 12 && c.as.hugePageSize() == 16L << 20) {
                // 16 MiB huge pages on a 4K-page kernel mean the hash MMU
                for (long a = vaddr; Long.compareUnsigned(a, vaddr + size) < 0; ) {
                    io.jvfio.emul.mem.Vma v = c.as.findVma(a);
                    if (v == null) {
                        break;
                    }
                    if (v.hugetlb()) {
                        throw c.oops.oops(String.format("REGISTER_MEMORY of [0x%x, 0x%x) covers 16 MiB hugetlb pages under"
                                + " the hash MMU on a 4K-page kernel: the 6.12 pSeries kernel never returns (the process"
                                + " spins in mm_iommu_do_alloc); see guest-recipe.md 'Known guest-kernel hang'", vaddr,
                                vaddr + size));
                    }
                    a = v.end();
                }
            }
            MmIommu.NewResult nr = c.mm.newRegion(vaddr, entries);
            if (nr.ret() != 0) {
                return nr.ret();
            }
            mem = nr.region();
        }
        c.prereg.add(0, mem);
        c.enabled = true;
        return 0;
    }

    long unregisterMemory(MemorySegment seg) {
        if (!c.mmSet) {
            return -EPERM;
        }
        long bad = TceContainer.prologue(seg, vfio_iommu_spapr_register_memory.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long vaddr = vfio_iommu_spapr_register_memory.vaddr.get(seg);
        long size = vfio_iommu_spapr_register_memory.size.get(seg);
        long pageMask = (1L << c.kps) - 1;
        if ((vaddr & pageMask) != 0 || (size & pageMask) != 0) {
            return -EINVAL;
        }
        MmIommu.Region mem = c.mm.get(vaddr, size >>> c.kps);
        if (mem == null) {
            return -ENOENT;
        }
        long ret;
        if (!c.prereg.contains(mem)) {
            ret = -ENOENT;
        } else {
            ret = c.mm.put(mem); // tce_iommu_prereg_free
            if (ret == 0) {
                c.prereg.remove(mem);
            }
        }
        c.mm.put(mem); // drops mm_iommu_get's reference; its EBUSY is ignored by the kernel
        return ret;
    }
}
