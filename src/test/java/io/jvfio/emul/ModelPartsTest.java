package io.jvfio.emul;

import static io.jvfio.emul.Emu.G;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.backend.Mmio;
import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprPhb;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Unit tests of the model's parts: the sparse TCE table, the PHB's RTAS calls, process memory. */
class ModelPartsTest {

    @Test
    void sparseTableOfA2To59ByteWindowCostsAlmostNothing() {
        long entries = (1L << 59) >>> 12; // 4K TCEs
        SparseTceTable t = new SparseTceTable(entries);
        long empty = t.allocatedBytes();
        assertTrue(empty < 1024, "empty: " + empty);
        assertEquals(0, t.exchange(entries - 1, 0x1234003L));
        assertEquals(0x1234003L, t.get(entries - 1));
        assertEquals(1, t.nonZeroEntries());
        assertTrue(t.allocatedBytes() < 64 * 1024, "one TCE at the end: " + t.allocatedBytes() + " bytes");
        assertEquals(1, t.countNonZero(0, entries));
        assertArrayEquals(new long[] {entries - 1}, t.nonZeroIndexes(entries - 10, entries));
        assertEquals(0x1234003L, t.exchange(entries - 1, 0));
        assertEquals(empty, t.allocatedBytes(), "the chunk goes with its last entry");
    }

    @Test
    void sparseTableAgreesWithAMap() {
        Random r = new Random(42);
        long size = 1L << 40;
        SparseTceTable t = new SparseTceTable(size);
        Map<Long, Long> ref = new HashMap<>();
        long[] hot = new long[64];
        for (int i = 0; i < hot.length; i++) {
            hot[i] = (r.nextLong() & (size - 1)) & ~0xffffL;
        }
        for (int i = 0; i < 200_000; i++) {
            long idx = hot[r.nextInt(hot.length)] + r.nextInt(10_000);
            long v = r.nextInt(4) == 0 ? 0 : r.nextLong() | 1;
            long old = t.exchange(idx, v);
            Long o = v == 0 ? ref.remove(idx) : ref.put(idx, v);
            assertEquals(o == null ? 0 : o, old);
        }
        assertEquals(ref.size(), t.nonZeroEntries());
        TreeMap<Long, Long> sorted = new TreeMap<>(ref);
        long[] all = t.nonZeroIndexes(0, size);
        assertEquals(sorted.size(), all.length);
        int i = 0;
        for (long k : sorted.keySet()) {
            assertEquals(k, all[i++]);
        }
        long lo = hot[0];
        long hi = hot[0] + 5000;
        assertEquals(sorted.subMap(lo, hi).size(), t.countNonZero(lo, hi));
    }

    @Test
    void phbRtasWindowAddressesAndTheRestoreRule() {
        SpaprPhb phb = new SpaprPhb(0, Profile.qemuPseries());
        assertEquals(1, phb.activeWindows(), "the default window after reset");
        assertEquals(new SpaprPhb.Query(0, 1, 1L << 37, 0x107), phb.rtasQuery(), "4K|64K|16M|2M");
        SpaprPhb.Create c = phb.rtasCreate(16, 32);
        assertEquals(0, c.status());
        assertEquals(0x800000000000000L, c.addr(), "another window exists: dma64_win_addr");
        assertEquals(SpaprPhb.RTAS_OUT_HW_ERROR, phb.rtasCreate(16, 32).status(), "two windows already");
        assertEquals(0, phb.rtasRemove(SpaprPhb.liobn(0, 0)), "remove the default window");
        assertEquals(0, phb.rtasRemove(c.liobn()), "the last window, not the default: default restored");
        assertEquals(1, phb.activeWindows());
        assertEquals(0, phb.rtasRemove(SpaprPhb.liobn(0, 0)));
        assertEquals(0, phb.activeWindows(), "removing the default window restores nothing");
        SpaprPhb.Create c2 = phb.rtasCreate(21, 32);
        assertEquals(0, c2.addr(), "no window active: dma_win_addr");
        assertEquals(SpaprPhb.RTAS_OUT_PARAM_ERROR, phb.rtasCreate(13, 32).status(), "page size not offered");
        assertEquals(SpaprPhb.RTAS_OUT_PARAM_ERROR, phb.rtasCreate(21, 20).status(), "window smaller than a page");
        assertEquals(SpaprPhb.H_PARAMETER, phb.hPutTce(c2.liobn(), 1L << 32, 3), "past the window");
        assertEquals(SpaprPhb.H_SUCCESS, phb.hPutTce(c2.liobn(), (1L << 32) - (1L << 21), 3));
    }

    @Test
    void pinnedMemoryOutlivesMunmapAndDmaStillReachesIt() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            Mmio bar = EduDmaTest.device(e, g);
            MemorySegment mine;
            long addr;
            try (Arena a = Arena.ofConfined()) {
                mine = e.be.mmapAnonymous(64 * 1024, false, a);
                addr = mine.address();
                mine.fill((byte) 0x42);
                assertEquals(0, e.register(addr, 64 * 1024));
                assertEquals(0, e.map(0, 0x10000, addr, Emu.RW));
            }
            EmulatorState s = e.state();
            assertEquals(0, s.mappings(), "munmapped");
            assertEquals(1, s.liveMemoryBlocks(), "but pinned: still allocated");
            EduDmaTest.dma(bar, 0, 0x40000, 100, false);
            assertEquals(0x42, e.be.deviceBuffer("0000:00:00.0")[99], "DMA reads the pinned pages");
            assertEquals(0, e.unmap(0, 0x10000));
            assertEquals(0, e.unregister(addr, 64 * 1024));
            assertEquals(0, e.state().liveMemoryBlocks(), "the last pin frees the memory");
            assertEquals(-io.jvfio.backend.Errno.EFAULT, e.register(addr, 64 * 1024), "nothing mapped there now");
            EduDmaTest.dma(bar, 0, 0x40000, 100, false);
            assertEquals(0, e.be.deviceBuffer("0000:00:00.0")[99], "no TCE: the device reads zeros");
        }
    }

    @Test
    void v1PinsPerTce() throws Exception {
        try (Emu e = new Emu()) {
            e.setup(2);
            assertEquals(0, e.be.iommuEnable(e.container));
            long addr;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment m = e.be.mmapAnonymous(8192, false, a);
                addr = m.address();
                assertEquals(0, e.map(0, 0x2000, addr, Emu.RW));
            }
            assertEquals(1, e.state().liveMemoryBlocks());
            assertEquals(0, e.unmap(0, 0x1000));
            assertEquals(1, e.state().liveMemoryBlocks());
            assertEquals(0, e.unmap(0x1000, 0x1000));
            assertEquals(0, e.state().liveMemoryBlocks());
        }
    }

    @Test
    void hugetlbPoolAndAlignment() throws Exception {
        try (Emu e = new Emu()) {
            MemorySegment h = e.alloc(3 * M, true);
            assertEquals(0, h.address() % (2 * M));
            assertEquals(14, e.state().hugePagesFree(), "3 MiB rounds up to two 2 MiB pages");
            io.jvfio.backend.ErrnoException x = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jvfio.backend.ErrnoException.class, () -> e.be.mmapAnonymous(30 * M, true, e.arena));
            assertEquals(io.jvfio.backend.Errno.ENOMEM, x.errno());
            x = org.junit.jupiter.api.Assertions.assertThrows(io.jvfio.backend.ErrnoException.class,
                    () -> e.be.mmapAnonymous(0, false, e.arena));
            assertEquals(io.jvfio.backend.Errno.EINVAL, x.errno());
            x = org.junit.jupiter.api.Assertions.assertThrows(io.jvfio.backend.ErrnoException.class,
                    () -> e.be.mmapAnonymous(4 * G, false, e.arena));
            assertEquals(io.jvfio.backend.Errno.ENOMEM, x.errno(), "more than the guest's 2 GiB");
        }
    }

    @Test
    void hugeWindowWithoutAUserspaceViewOopsesOnV2Map() {
        Profile p = Profile.builder().largestBlockTces(1L << 40).build();
        try (Emu e = new Emu(p)) {
            e.setup(7);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.remove(0));
            // 2^31 TCEs: QEMU accepts (u32), the kernel cannot vzalloc 16 GiB of userspace view
            assertEquals(0, e.create(12, 1L << 43, 1));
            long s = e.lastStart; // 1 << 59: QEMU's default window is still live
            KernelBugException x = org.junit.jupiter.api.Assertions.assertThrows(KernelBugException.class,
                    () -> e.map(s, 0x1000, buf));
            assertTrue(x.getMessage().contains("it_userspace is NULL"), x.getMessage());
            assertEquals(0, e.unmap(s, 1L << 43), "a full-window UNMAP is cheap: only mapped TCEs are visited");
        }
    }

    @Test
    void configBytesMatchQemu() {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            int d = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            MemorySegment cfg = e.arena.allocate(64);
            assertEquals(64, e.be.pread(d, cfg, 7L << 40));
            assertEquals(0x10, cfg.get(ValueLayout.JAVA_BYTE, 8), "revision");
            assertEquals((byte) 0xff, cfg.get(ValueLayout.JAVA_BYTE, 0x0a), "class 0x00ff");
            assertEquals(1, cfg.get(ValueLayout.JAVA_BYTE, 0x3d), "INTx pin A");
            assertEquals(0x40, cfg.get(ValueLayout.JAVA_BYTE, 0x34), "MSI capability");
            // BAR sizing through the virtual BAR0
            MemorySegment ones = e.arena.allocate(4);
            ones.set(ValueLayout.JAVA_INT, 0, -1);
            assertEquals(4, e.be.pwrite(d, ones, (7L << 40) + 0x10));
            assertEquals(4, e.be.pread(d, ones, (7L << 40) + 0x10));
            assertEquals(0xfff00000, ones.get(ValueLayout.JAVA_INT, 0), "1 MiB BAR");
            // closing the last device fd restores the config (bus master off)
            e.configWrite16(d, 4, 0x0106);
            assertEquals(0, e.be.close(d));
            int d2 = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(0x0002, e.configRead16(d2, 4), "VOF's command register again");
        }
    }
}
