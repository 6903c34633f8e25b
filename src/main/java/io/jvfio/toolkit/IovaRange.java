package io.jvfio.toolkit;

/**
 * A range of device (bus) addresses: {@code [start, start + size)}.
 *
 * @param start the first IOVA, as the device must use it
 * @param size bytes, a multiple of the window's TCE page size
 */
public record IovaRange(long start, long size) {
    public IovaRange {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
    }

    /** The first address after the range. */
    public long end() {
        return start + size;
    }

    public boolean overlaps(IovaRange o) {
        return Long.compareUnsigned(start, o.end()) < 0 && Long.compareUnsigned(o.start, end()) < 0;
    }

    public boolean contains(long iova) {
        return Long.compareUnsigned(iova, start) >= 0 && Long.compareUnsigned(iova - start, size) < 0;
    }

    @Override
    public String toString() {
        return String.format("[0x%x, 0x%x)", start, end());
    }
}
