package io.jvfio;

import io.jvfio.backend.Mmio;

/**
 * A mapped BAR. Each access is one load or store of its width, in the CPU's byte order; a device
 * whose registers are big-endian (QEMU's edu on ppc64) needs {@link Integer#reverseBytes}.
 *
 * <p>Thread-safe: accesses from several threads are independent loads and stores (ordering between
 * them is the device's business). Closing it, or its device, while another thread accesses it makes
 * that access throw {@link IllegalStateException}, never fault.
 */
public final class Bar implements AutoCloseable {
    private final Region region;
    private final Mmio mmio;

    Bar(Region region, Mmio mmio) {
        this.region = region;
        this.mmio = mmio;
    }

    /**
     * The region this BAR maps.
     *
     * @return its GET_REGION_INFO answer
     */
    public Region region() {
        return region;
    }

    /**
     * The mapped length.
     *
     * @return bytes
     */
    public long size() {
        return mmio.size();
    }

    /**
     * A 32-bit load.
     *
     * @param offset byte offset in the BAR, a multiple of 4
     * @return the value, in the CPU's byte order
     * @throws IndexOutOfBoundsException if the access does not fit in the BAR
     * @throws IllegalArgumentException if {@code offset} is not 4-byte aligned
     * @throws IllegalStateException if the BAR (or its device) is closed
     */
    public int read32(long offset) {
        return mmio.read32(offset);
    }

    /**
     * A 32-bit store.
     *
     * @param offset byte offset in the BAR, a multiple of 4
     * @param value the value, in the CPU's byte order
     * @throws IndexOutOfBoundsException if the access does not fit in the BAR
     * @throws IllegalArgumentException if {@code offset} is not 4-byte aligned
     * @throws IllegalStateException if the BAR (or its device) is closed
     */
    public void write32(long offset, int value) {
        mmio.write32(offset, value);
    }

    /**
     * A 64-bit load.
     *
     * @param offset byte offset in the BAR, a multiple of 8
     * @return the value, in the CPU's byte order
     * @throws IndexOutOfBoundsException if the access does not fit in the BAR
     * @throws IllegalArgumentException if {@code offset} is not 8-byte aligned
     * @throws IllegalStateException if the BAR (or its device) is closed
     */
    public long read64(long offset) {
        return mmio.read64(offset);
    }

    /**
     * A 64-bit store.
     *
     * @param offset byte offset in the BAR, a multiple of 8
     * @param value the value, in the CPU's byte order
     * @throws IndexOutOfBoundsException if the access does not fit in the BAR
     * @throws IllegalArgumentException if {@code offset} is not 8-byte aligned
     * @throws IllegalStateException if the BAR (or its device) is closed
     */
    public void write64(long offset, long value) {
        mmio.write64(offset, value);
    }

    /** Unmaps the BAR. Idempotent. */
    @Override
    public void close() {
        mmio.close();
    }
}
