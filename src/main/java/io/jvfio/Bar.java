package io.jvfio;

import io.jvfio.backend.Mmio;

/**
 * A mapped BAR. Each access is one load or store of its width, in the CPU's byte order; a device
 * whose registers are big-endian (QEMU's edu on ppc64) needs {@link Integer#reverseBytes}.
 */
public final class Bar implements AutoCloseable {
    private final Region region;
    private final Mmio mmio;

    Bar(Region region, Mmio mmio) {
        this.region = region;
        this.mmio = mmio;
    }

    public Region region() {
        return region;
    }

    public long size() {
        return mmio.size();
    }

    public int read32(long offset) {
        return mmio.read32(offset);
    }

    public void write32(long offset, int value) {
        mmio.write32(offset, value);
    }

    public long read64(long offset) {
        return mmio.read64(offset);
    }

    public void write64(long offset, long value) {
        mmio.write64(offset, value);
    }

    @Override
    public void close() {
        mmio.close();
    }
}
