package io.jvfio.driver.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Physical Region Page entries for one transfer (NVMe 1.4 section 4.3). PRP1 is the data's first
 * address and may carry an offset into its memory page; every later entry is page aligned. Up to two
 * pages, PRP2 is the second page; beyond that PRP2 points to a PRP list. Lists here never chain: a
 * transfer is limited so its list fits one memory page ({@link #maxTransfer}).
 */
final class Prp {
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** PRP1 and PRP2 of a command. */
    record Entries(long prp1, long prp2) {}

    private Prp() {}

    /** The list bytes a transfer of {@code length} bytes may need at most (any start offset). */
    static long listBytes(long length, long pageSize) {
        return (length / pageSize + 1) * Long.BYTES;
    }

    /** The largest transfer whose list fits in {@code listBytes} bytes (at any start offset). */
    static long maxTransfer(long listBytes, long pageSize) {
        return (listBytes / Long.BYTES - 1) * pageSize;
    }

    /**
     * The entries for {@code length} bytes at bus address {@code iova}, writing a PRP list into
     * {@code list} (at bus address {@code listIova}) when more than two pages are spanned.
     *
     * @throws IllegalArgumentException when the list does not fit {@code list} or would cross a memory
     *     page (which would need a chained list)
     */
    static Entries build(long iova, long length, long pageSize, MemorySegment list, long listIova) {
        if (length <= 0) {
            throw new IllegalArgumentException("transfer length must be positive: " + length);
        }
        if ((iova & 3) != 0) {
            throw new IllegalArgumentException(String.format("PRP1 0x%x is not dword aligned", iova));
        }
        long inFirst = pageSize - (iova & (pageSize - 1));
        if (length <= inFirst) {
            return new Entries(iova, 0);
        }
        long next = (iova & -pageSize) + pageSize;
        long rest = length - inFirst;
        if (rest <= pageSize) {
            return new Entries(iova, next);
        }
        long n = (rest + pageSize - 1) / pageSize;
        if (n * Long.BYTES > list.byteSize() || (listIova & (pageSize - 1)) + n * Long.BYTES > pageSize
                || (listIova & 7) != 0) {
            throw new IllegalArgumentException(String.format(
                    "a PRP list of %d entries does not fit the %d bytes at 0x%x within one %d-byte page", n,
                    list.byteSize(), listIova, pageSize));
        }
        for (long i = 0; i < n; i++) {
            list.set(LE_LONG, i * Long.BYTES, next + i * pageSize);
        }
        return new Entries(iova, listIova);
    }
}
