package io.jvfio.toolkit;

import io.jvfio.backend.VfioBackend;

/** What backs DMA memory: the kernel's base pages, or huge pages (MAP_HUGETLB). */
public enum Backing {
    /** Anonymous memory of the base page size (4 KiB, or 64 KiB on a 64K kernel). */
    ANONYMOUS,
    /**
     * Huge pages of the default huge page size (2 MiB under radix, 16 MiB under hash). Needed for TCE
     * pages above the base page size, i.e. for windows with few TCEs; the host must have huge pages
     * reserved ({@code echo 16 > /proc/sys/vm/nr_hugepages}).
     */
    HUGETLB;

    /** The page size of this backing on {@code backend}. */
    public long pageSize(VfioBackend backend) {
        return this == HUGETLB ? backend.hugePageSize() : backend.pageSize();
    }
}
