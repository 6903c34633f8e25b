package io.jvfio.backend;

/**
 * A mapped device region (a BAR). Accesses are single, ordered loads and stores of the given width,
 * in the CPU's byte order, as a driver's MMIO must be.
 *
 * <p>An interface rather than a bare {@code MemorySegment}: the emulator has no real device memory
 * to map, so its BARs are accessors into the device model (reads have side effects, e.g. edu's
 * liveness register). The kernel backend's mapping is a real {@code mmap}.
 */
public interface Mmio extends AutoCloseable {
    long size();

    int read32(long offset);

    void write32(long offset, int value);

    long read64(long offset);

    void write64(long offset, long value);

    /** Unmaps. Idempotent. Access after close throws {@link IllegalStateException}. */
    @Override
    void close();
}
