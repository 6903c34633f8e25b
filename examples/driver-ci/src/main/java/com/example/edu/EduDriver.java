package com.example.edu;

import io.jvfio.Bar;
import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A small userspace driver for QEMU's {@code edu} device, written on jvfio's public API: the kind of
 * code a team ships and wants tested on the real POWER kernel. Registers are device-native endian
 * (big-endian under qemu-system-ppc64), so a little-endian CPU swaps every value.
 */
public final class EduDriver implements AutoCloseable {
    private static final int REG_ID = 0x00;
    private static final int REG_LIVENESS = 0x04;
    private static final int REG_FACTORIAL = 0x08;
    private static final int REG_STATUS = 0x20;
    private static final int REG_DMA_SRC = 0x80;
    private static final int REG_DMA_DST = 0x88;
    private static final int REG_DMA_COUNT = 0x90;
    private static final int REG_DMA_CMD = 0x98;
    private static final long DEVICE_BUFFER = 0x40000;
    private static final int CMD_START = 0x1;
    private static final int CMD_FROM_DEVICE = 0x2;
    private static final boolean SWAP = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final DmaSession session;
    private final Bar bar;

    private EduDriver(DmaSession session, Bar bar) {
        this.session = session;
        this.bar = bar;
    }

    /** Takes over the edu device at {@code address} in the session's group: memory decoding and bus mastering on, BAR0 mapped. */
    public static EduDriver open(DmaSession session, String address) throws VfioException {
        Device d = session.openDevice(address);
        d.writeConfig16(0x04, d.readConfig16(0x04) | 0x6);
        return new EduDriver(session, d.mapBar(VfioUapi.VFIO_PCI_BAR0_REGION_INDEX));
    }

    public int id() {
        return read(REG_ID);
    }

    /** The device answers the bitwise NOT of what was written. */
    public int liveness(int value) {
        write(REG_LIVENESS, value);
        return read(REG_LIVENESS);
    }

    public int factorial(int n) {
        write(REG_FACTORIAL, n);
        while ((read(REG_STATUS) & 1) != 0) {
            Thread.onSpinWait();
        }
        return read(REG_FACTORIAL);
    }

    /** Sends {@code data} to the device's buffer by DMA and fetches it back into fresh memory, by DMA too. */
    public byte[] echo(byte[] data) throws VfioException {
        try (DmaMemory out = session.allocate(data.length); DmaMemory in = session.allocate(data.length)) {
            out.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(data));
            dma(session.map(out, DmaDirection.TO_DEVICE), DEVICE_BUFFER, data.length, 0);
            dma(DEVICE_BUFFER, session.map(in, DmaDirection.FROM_DEVICE), data.length, CMD_FROM_DEVICE);
            return in.segment().asSlice(0, data.length).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private void dma(long src, long dst, int count, int direction) {
        write64(REG_DMA_SRC, src);
        write64(REG_DMA_DST, dst);
        write64(REG_DMA_COUNT, count);
        write(REG_DMA_CMD, CMD_START | direction);
        while ((read(REG_DMA_CMD) & CMD_START) != 0) {
            Thread.onSpinWait();
        }
    }

    private int read(int reg) {
        int v = bar.read32(reg);
        return SWAP ? Integer.reverseBytes(v) : v;
    }

    private void write(int reg, int v) {
        bar.write32(reg, SWAP ? Integer.reverseBytes(v) : v);
    }

    private void write64(int reg, long v) {
        bar.write64(reg, SWAP ? Long.reverseBytes(v) : v);
    }

    @Override
    public void close() {
        bar.close();
    }
}
