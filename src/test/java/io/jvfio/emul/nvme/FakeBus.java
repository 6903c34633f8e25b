package io.jvfio.emul.nvme;

import io.jvfio.emul.device.DmaPort;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * An in-memory bus behind a 64-bit window at the address the hypervisor gives a DDW, translated per
 * 4 KiB IOMMU page as {@link io.jvfio.emul.device.PhbDma} does: a page outside the window or made a
 * hole does not translate (reads give zeros, writes are dropped, the bytes are reported failed).
 */
final class FakeBus implements DmaPort, AutoCloseable {
    static final long BASE = 0x0800000000000000L;
    static final long PAGE = 4096;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final MemorySegment mem;
    private final Set<Long> holes = new HashSet<>();
    private long next = BASE;

    FakeBus(long size) {
        mem = arena.allocate(size, PAGE);
    }

    /** A fresh page-aligned range of {@code bytes} (bump allocation, never reused). */
    long alloc(long bytes) {
        long a = next;
        next += (bytes + PAGE - 1) & -PAGE;
        if (next - BASE > mem.byteSize()) {
            throw new IllegalStateException("fake bus exhausted");
        }
        return a;
    }

    /** Page containing {@code addr} stops translating (an unmapped TCE). */
    void hole(long addr) {
        holes.add(addr & -PAGE);
    }

    MemorySegment at(long addr, long len) {
        return mem.asSlice(addr - BASE, len);
    }

    void put32(long addr, int v) {
        at(addr, 4).set(U32, 0, v);
    }

    void put64(long addr, long v) {
        at(addr, 8).set(U64, 0, v);
    }

    int get32(long addr) {
        return at(addr, 4).get(U32, 0);
    }

    byte[] bytes(long addr, int len) {
        return at(addr, len).toArray(ValueLayout.JAVA_BYTE);
    }

    void fill(long addr, byte[] data) {
        at(addr, data.length).copyFrom(MemorySegment.ofArray(data));
    }

    @Override
    public long read(long busAddr, MemorySegment dst) {
        return access(busAddr, dst, false);
    }

    @Override
    public long write(long busAddr, MemorySegment src) {
        return access(busAddr, src, true);
    }

    private long access(long busAddr, MemorySegment data, boolean write) {
        long done = 0;
        long bad = 0;
        while (done < data.byteSize()) {
            long addr = busAddr + done;
            long chunk = Math.min(data.byteSize() - done, PAGE - (addr & (PAGE - 1)));
            MemorySegment part = data.asSlice(done, chunk);
            boolean ok = Long.compareUnsigned(addr, BASE) >= 0 && addr - BASE + chunk <= mem.byteSize()
                    && !holes.contains(addr & -PAGE);
            if (!ok) {
                bad += chunk;
                if (!write) {
                    part.fill((byte) 0);
                }
            } else if (write) {
                at(addr, chunk).copyFrom(part);
            } else {
                part.copyFrom(at(addr, chunk));
            }
            done += chunk;
        }
        return bad;
    }

    @Override
    public void close() {
        arena.close();
    }
}
