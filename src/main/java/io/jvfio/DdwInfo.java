package io.jvfio;

/**
 * What dynamic DMA windows the platform offers ({@code struct vfio_iommu_spapr_tce_ddw_info}).
 *
 * @param pgsizes bitmap of supported TCE page sizes: bit n means 2^n bytes
 * @param maxDynamicWindows how many windows may exist at once (1 on SR-IOV VFs: a DDW must replace
 *     the default window)
 * @param levels the most TCE table levels CREATE accepts (1 on pSeries)
 */
public record DdwInfo(long pgsizes, int maxDynamicWindows, int levels) {
    public boolean supportsPageShift(int shift) {
        return shift >= 0 && shift < 64 && (pgsizes & (1L << shift)) != 0;
    }

    /** The largest supported page shift not above {@code limit}, or -1. */
    public int largestPageShiftAtMost(int limit) {
        for (int s = Math.min(63, limit); s >= 0; s--) {
            if (supportsPageShift(s)) {
                return s;
            }
        }
        return -1;
    }
}
