package io.jvfio.emul;

import io.jvfio.backend.Mmio;
import io.jvfio.emul.device.VfioPciDevice;

/**
 * A BAR mapping of an emulated device: every access is one bus access of the device model, in the
 * CPU's (little-endian) byte order, so edu's big-endian registers read byte-swapped exactly as the
 * ppc64le guest reads them. The mapping outlives the device fd, as an mmap does.
 */
final class EmulatedMmio implements Mmio {
    private final EmulatedBackend backend;
    private final VfioPciDevice device;
    private final int bar;
    private final long base;
    private final long size;
    private volatile boolean closed;

    EmulatedMmio(EmulatedBackend backend, VfioPciDevice device, int bar, long base, long size) {
        this.backend = backend;
        this.device = device;
        this.bar = bar;
        this.base = base;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    private void check(long offset, int width) {
        if (closed) {
            throw new IllegalStateException("Already closed: the BAR mapping was unmapped");
        }
        if (offset < 0 || offset > size - width) {
            throw new IndexOutOfBoundsException("MMIO offset 0x" + Long.toHexString(offset) + " width " + width
                    + " outside the mapping of 0x" + Long.toHexString(size) + " bytes");
        }
        if ((offset & (width - 1)) != 0) {
            throw new IllegalArgumentException("Misaligned MMIO access at offset 0x" + Long.toHexString(offset)
                    + " (width " + width + ")");
        }
    }

    @Override
    public int read32(long offset) {
        check(offset, 4);
        return (int) backend.mmio(device, bar, base + offset, 4, false, 0);
    }

    @Override
    public void write32(long offset, int value) {
        check(offset, 4);
        backend.mmio(device, bar, base + offset, 4, true, Integer.toUnsignedLong(value));
    }

    @Override
    public long read64(long offset) {
        check(offset, 8);
        return backend.mmio(device, bar, base + offset, 8, false, 0);
    }

    @Override
    public void write64(long offset, long value) {
        check(offset, 8);
        backend.mmio(device, bar, base + offset, 8, true, value);
    }

    @Override
    public void close() {
        closed = true;
    }
}
