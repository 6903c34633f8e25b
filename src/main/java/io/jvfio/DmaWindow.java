package io.jvfio;

/**
 * A DMA window: a range of bus addresses the device may use, translated by TCEs of one page size.
 *
 * @param start the bus address where the window begins, as the platform placed it (use it: pSeries
 *     and QEMU put a second window at 0x0800000000000000, not at 0)
 * @param size bytes
 * @param pageShift log2 of the TCE page size
 * @param levels TCE table levels
 * @param isDefault the platform's default 32-bit window rather than a created one
 *
 * <p>Immutable. Addresses compare unsigned.
 */
public record DmaWindow(long start, long size, int pageShift, int levels, boolean isDefault) {
    /**
     * The first bus address after the window.
     *
     * @return {@code start + size}
     */
    public long end() {
        return start + size;
    }

    /**
     * The TCE page size: the granule of IOVA, size and address of every MAP in this window.
     *
     * @return {@code 1 << pageShift} bytes
     */
    public long pageSize() {
        return 1L << pageShift;
    }

    /**
     * Number of TCEs, i.e. of pages the window can map (and that REMOVE clears).
     *
     * @return {@code size >>> pageShift}
     */
    public long tceCount() {
        return size >>> pageShift;
    }

    /**
     * Whether a bus address lies in the window.
     *
     * @param iova the bus address
     * @return true when {@code start <= iova < end}, unsigned
     */
    public boolean contains(long iova) {
        return Long.compareUnsigned(iova, start) >= 0 && Long.compareUnsigned(iova - start, size) < 0;
    }

    /**
     * Whether a range lies entirely inside the window, computed without overflow.
     *
     * @param iova the range's first bus address
     * @param length its length in bytes
     * @return true when {@code [iova, iova+length)} lies inside the window
     */
    public boolean containsRange(long iova, long length) {
        return contains(iova) && Long.compareUnsigned(length, size - (iova - start)) <= 0;
    }

    @Override
    public String toString() {
        return String.format("window [0x%x, 0x%x) %s pages, %d level(s)%s", start, end(),
                Sizes.human(pageSize()), levels, isDefault ? ", default" : "");
    }
}
