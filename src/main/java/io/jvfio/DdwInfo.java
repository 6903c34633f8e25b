package io.jvfio;

/**
 * What dynamic DMA windows the platform offers ({@code struct vfio_iommu_spapr_tce_ddw_info}).
 *
 * @param pgsizes bitmap of supported TCE page sizes: bit n means 2^n bytes
 * @param maxDynamicWindows how many windows may exist at once (1 on SR-IOV VFs: a DDW must replace
 *     the default window)
 * @param levels the most TCE table levels CREATE accepts (1 on pSeries)
 *
 * <p>Immutable. The pSeries kernel reports {@code maxDynamicWindows} 4294967295 (its (u32) -1) when
 * the hypervisor has no DDW: compare with {@link Integer#toUnsignedLong} in mind.
 */
public record DdwInfo(long pgsizes, int maxDynamicWindows, int levels) {
    /**
     * Whether CREATE can use 2^{@code shift}-byte TCE pages.
     *
     * @param shift log2 of the page size; out-of-range values are simply unsupported
     * @return whether bit {@code shift} of {@link #pgsizes()} is set
     */
    public boolean supportsPageShift(int shift) {
        return shift >= 0 && shift < 64 && (pgsizes & (1L << shift)) != 0;
    }

    /**
     * The largest supported page shift not above {@code limit}.
     *
     * @param limit the largest acceptable shift, e.g. that of the memory's backing page
     * @return the shift, or -1 when no supported page is small enough
     */
    public int largestPageShiftAtMost(int limit) {
        for (int s = Math.min(63, limit); s >= 0; s--) {
            if (supportsPageShift(s)) {
                return s;
            }
        }
        return -1;
    }
}
