package io.jvfio.emul.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.emul.Profile;
import io.jvfio.emul.device.DmaPort;
import io.jvfio.emul.device.PhbDma;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.Vma;
import io.jvfio.emul.papr.SpaprPhb;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The controller's bus as edu's is: the emulated PHB's TCE tables ({@link PhbDma}) over process
 * memory. A 64 MiB DDW of 4 KiB pages at the address QEMU gives the second window, every page
 * mapped read-write to one anonymous mapping; {@link #hole} clears a TCE, so that page no longer
 * translates.
 */
final class PhbBus implements AutoCloseable {
    static final long PAGE = 4096;
    static final long BASE = 0x0800000000000000L;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final AddressSpace as = new AddressSpace(Profile.qemuPseries());
    private final SpaprPhb phb = new SpaprPhb(0, Profile.qemuPseries());
    private final PhbDma dma = new PhbDma(phb, as);
    private final Vma ram;
    private final long liobn;
    private long next = BASE;

    PhbBus(int windowShift) {
        SpaprPhb.Create w = phb.rtasCreate(12, windowShift);
        assertEquals(0, w.status(), "ibm,create-pe-dma-window");
        assertEquals(BASE, w.addr());
        liobn = w.liobn();
        ram = as.mmap(1L << windowShift, false).vma();
        for (long off = 0; off < 1L << windowShift; off += PAGE) {
            assertEquals(SpaprPhb.H_SUCCESS, phb.hPutTce(liobn, BASE + off, (ram.start() + off) | 3), "H_PUT_TCE");
        }
    }

    /** A fresh page-aligned range of {@code bytes} (bump allocation, never reused). */
    long alloc(long bytes) {
        long a = next;
        next += (bytes + PAGE - 1) & -PAGE;
        return a;
    }

    /** The page containing {@code addr} stops translating (its TCE cleared). */
    void hole(long addr) {
        assertEquals(SpaprPhb.H_SUCCESS, phb.hPutTce(liobn, addr & -PAGE, 0));
    }

    /** The page containing {@code addr} becomes readable by the device only (TCE_READ). */
    void readOnly(long addr) {
        long page = addr & -PAGE;
        assertEquals(SpaprPhb.H_SUCCESS, phb.hPutTce(liobn, page, (ram.start() + (page - BASE)) | 1));
    }

    /** The CPU's view of bus range [addr, addr+len): the memory behind the window. */
    MemorySegment at(long addr, long len) {
        return as.phys(ram.start() + (addr - BASE), len);
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

    /** The device's side: DMA through the window. */
    DmaPort dma() {
        return dma;
    }

    @Override
    public void close() {
        as.munmap(ram);
    }
}
