package io.jvfio.emul;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINTR;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOMEM;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;
import static io.jvfio.emul.Emu.G;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.abi.vfio_iommu_type1_dma_map;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SPAPR TCE driver's order of checks and its quirks (vfio_iommu_spapr_tce.c, 6.12). */
class SpaprDriverTest {
    static final long DDW = 0x800000000000000L;

    @Test
    void lazyDefaultWindow() {
        try (Emu e = new Emu()) {
            e.setup(7);
            EmulatorState.Container c = e.state().container(3);
            assertTrue(c.defaultWindowPending());
            assertEquals(List.of(), c.windows(), "no window until first needed");
            assertEquals(0, e.remove(0), "REMOVE 0 while pending just clears it");
            assertFalse(e.state().container(3).defaultWindowPending());
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(-ENXIO, e.map(0, 0x1000, buf), "no window at all now");
            assertEquals(-EINVAL, e.remove(0));
            assertEquals(0, e.create(16, 4 * G, 1));
            assertEquals(DDW, e.lastStart,
                    "the first window lands at dma64_win_addr: take_ownership left QEMU's default window live");
            assertEquals(-io.jvfio.backend.Errno.ENODEV, e.create(12, G, 1),
                    "slot 1 goes the DDW way too, and QEMU has no free LIOBN left: Create ddw failed, sticky");
            assertEquals(java.util.Set.of(0), e.state().failedDdwGroups());
            assertEquals(DDW, e.state().container(3).window(0).start(), "the slot-0 window survives");
        }
    }

    @Test
    void mapChecksInOrder() {
        try (Emu e = new Emu()) {
            e.setup(7);
            MemorySegment buf = e.alloc(4 * M, false);
            long b = buf.address();
            assertEquals(0, e.register(buf));
            MemorySegment m = e.arena.allocate(32);
            vfio_iommu_type1_dma_map.argsz.set(m, 31);
            assertEquals(-EINVAL, e.be.iommuMapDma(e.container, m), "argsz");
            assertEquals(-EFAULT, e.be.iommuMapDma(e.container, e.arena.allocate(16)), "short struct");
            assertEquals(-EINVAL, e.map(0, 0x1000, b, 4), "unknown flag");
            assertEquals(-ENXIO, e.map(0x40000000L, 0x1000, b, Emu.RW));
            assertEquals(-EINVAL, e.map(0, 0x1800, b, Emu.RW), "size not a page multiple");
            assertEquals(-EINVAL, e.map(0, 0x1000, b + 8, Emu.RW), "vaddr not a page multiple");
            assertEquals(-EINVAL, e.map(0, 0x1000, b, 0), "neither READ nor WRITE");
            assertEquals(1, e.map(0x100800, 0x1000, b, Emu.RW), "misaligned iova: the || quirk returns +1");
            assertEquals(1, e.unmap(0x100800, 0x1000), "UNMAP has the same quirk");
            assertEquals(0, e.map(0x100000, 0, b, Emu.RW), "size 0 maps nothing");
            assertEquals(-EINVAL, e.map(0x100000, 0x1000, b + 4 * M, Emu.RW), "vaddr outside every registered region");
            assertEquals(0, e.map(0x100000, 0x2000, b, Emu.RW));
            assertEquals(0, e.map(0x100000, 0x2000, b + 0x10000, Emu.RW), "silent remap");
            EmulatorState s = e.be.inspect(true);
            assertEquals(2, s.container(3).window(0).mappedTces());
            assertEquals(List.of(0x100000L, 0x101000L), s.container(3).window(0).mappedIovaPages());
            assertEquals(2, s.prereg(b).mappedCount(), "the remap released the old pages' counts");
            assertEquals(-EINVAL, e.unmap(0x100000, 0x800));
            MemorySegment u = e.arena.allocate(24);
            u.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 24);
            u.set(java.lang.foreign.ValueLayout.JAVA_INT, 4, 2);
            assertEquals(-EINVAL, e.be.iommuUnmapDma(e.container, u), "any unmap flag");
            assertEquals(0, e.unmap(0, G), "unmapping the whole window");
            assertEquals(0, e.state().prereg(b).mappedCount());
            assertEquals(0, e.unmap(0x100000, 0x1000), "unmapping unmapped space");
        }
    }

    @Test
    void v2MapCrossingTheWindowEndOopses() {
        try (Emu e = new Emu()) {
            e.setup(7);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            KernelBugException x = assertThrows(KernelBugException.class, () -> e.map(0x3fff0000L, 0x20000, buf));
            assertTrue(x.getMessage().contains("tce_iommu_unuse_page_v2"), x.getMessage());
            assertTrue(x.getMessage().contains("crosses the end of the window"), x.getMessage());
            assertTrue(e.state().kernelBugHit());
            assertEquals(0, e.unmap(0x3fff0000L, 0x20000), "UNMAP crossing the end is harmless");
        }
    }

    @Test
    void v1MapCrossingTheWindowEndReturnsTheHcallStatus() {
        try (Emu e = new Emu()) {
            e.setup(2);
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.be.iommuEnable(e.container));
            assertEquals(-EINTR, e.map(0x3fff0000L, 0x20000, buf), "H_PARAMETER (-4) returned as is: errno 4");
            assertEquals(0, e.state().container(3).window(0).mappedTces(), "rolled back");
            assertFalse(e.state().kernelBugHit());
        }
    }

    @Test
    void v1MapOfNonProcessMemoryIsEfault() {
        try (Emu e = new Emu()) {
            e.setup(2);
            assertEquals(0, e.be.iommuEnable(e.container));
            MemorySegment mine = e.arena.allocate(0x2000, 0x1000); // not from mmapAnonymous
            assertEquals(-EFAULT, e.map(0, 0x1000, mine.address(), Emu.RW));
        }
    }

    @Test
    void preregistration() {
        try (Emu e = new Emu()) {
            e.setup(7);
            MemorySegment buf = e.alloc(8 * M, false);
            long b = buf.address();
            assertEquals(-EPERM, e.unregister(b, M), "no mm yet: nothing registered or created");
            assertEquals(-EINVAL, e.register(b + 0x800, 0x1000), "kernel page alignment");
            assertEquals(-EINVAL, e.register(b, 0x1800));
            assertEquals(0, e.register(b, 4 * M));
            assertEquals(-EBUSY, e.register(b, 4 * M));
            assertEquals(-EINVAL, e.register(b + M, 4 * M), "overlap");
            assertEquals(-ENOENT, e.unregister(b, 2 * M), "not exactly a region");
            assertEquals(-EFAULT, e.register(0x1000, 0x1000), "nothing mapped there");
            long partial = e.register(b + 4 * M, 8 * M);
            assertEquals(1024, partial, "a partial pin returns the pinned page count (positive)");
            assertEquals(0, e.register(b + 4 * M, 0x1000));
            assertEquals(0, e.map(0, 0x1000, b, Emu.RW));
            assertEquals(0, e.unregister(b, 4 * M), "unregister while mapped: 0, the region lives on");
            EmulatorState.PreregRegion r = e.state().prereg(b);
            assertNotNull(r);
            assertEquals(1, r.used(), "mm_iommu_put's EBUSY put the reference back");
            assertEquals(0, r.containers());
            assertEquals(1, r.mappedCount());
            assertEquals(-ENOENT, e.unregister(b, 4 * M));
            assertEquals(0, e.unmap(0, 0x1000));
            assertNotNull(e.state().prereg(b), "leaked until the process exits");
        }
    }

    @Test
    void lockedVmAccounting() {
        try (Emu e = new Emu()) {
            e.setup(2);
            assertEquals(0, e.be.iommuEnable(e.container));
            assertEquals(G, e.state().lockedVmBytes(), "v1 ENABLE charges tce32_size");
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.map(0, 0x1000, buf));
            assertEquals(G + 2 * M, e.state().lockedVmBytes(), "+ the lazily created default window's table (8 bytes per TCE)");
            assertEquals(0, e.be.iommuDisable(e.container));
            assertEquals(2 * M, e.state().lockedVmBytes());
        }
        try (Emu e = new Emu()) {
            e.setup(7);
            MemorySegment buf = e.alloc(4 * M, false);
            assertEquals(0, e.register(buf));
            assertEquals(4 * M, e.state().lockedVmBytes());
            assertEquals(0, e.remove(0));
            assertEquals(0, e.create(16, 4 * G, 1));
            assertEquals(4 * M + 512 * 1024, e.state().lockedVmBytes(), "4G/64K TCEs * 8 bytes");
            assertEquals(-EINVAL, e.create(16, 4 * G, 2));
            assertEquals(4 * M + 512 * 1024 + 0xfffffL * 4096, e.state().lockedVmBytes(),
                    "levels > 1: ~0U charged and never un-charged (as in tce_iommu_create_table)");
        }
    }

    @Test
    void finiteMemlock() {
        // an unprivileged user: root has CAP_IPC_LOCK and is never refused (LeastPrivilegeTest)
        Profile p = Profile.builder().memlockLimitBytes(8 * M).credentials(Credentials.user(1000, 1000))
                .groupNode(0, new DeviceNode(1000, 1000, 0600)).build();
        try (Emu e = new Emu(p)) {
            e.setup(7);
            MemorySegment buf = e.alloc(16 * M, false);
            assertEquals(-ENOMEM, e.register(buf));
            assertEquals(0, e.register(buf.address(), 4 * M));
            assertEquals(-ENOMEM, e.create(16, 4 * G, 2), "levels > 1 trips the accounting before the EINVAL");
        }
        try (Emu e = new Emu(p)) {
            e.setup(2);
            assertEquals(-ENOMEM, e.be.iommuEnable(e.container), "v1 ENABLE needs 1 GiB of locked memory");
        }
    }

    @Test
    void createChecks() {
        try (Emu e = new Emu()) {
            e.setup(7);
            assertEquals(-EINVAL, e.create(16, 3 * G, 1), "not a power of two");
            assertEquals(-EINVAL, e.create(16, 0, 1));
            assertEquals(-EINVAL, e.create(12, 1L << 50, 1), "more TCEs than the largest block: not sticky");
            assertTrue(e.state().failedDdwGroups().isEmpty());
            assertEquals(-ENODEV, e.create(12, 1L << 44, 1), "2^32 TCEs: QEMU's u32 nb_table is 0, RTAS fails: sticky");
            assertEquals(java.util.Set.of(0), e.state().failedDdwGroups());
            assertEquals(-ENODEV, e.create(16, 4 * G, 1), "the PE stays on the failed list");
        }
        try (Emu e = new Emu()) {
            e.setup(7);
            assertEquals(0, e.create(16, 4 * G, 1));
            assertEquals(0, e.remove(0), "remove the default window, keep the DDW in slot 1");
            assertEquals(-EPERM, e.create(12, G, 1), "window #0 while the 64-bit window exists");
            assertEquals(-EPERM, e.create(16, G, 1));
            assertTrue(e.state().failedDdwGroups().isEmpty());
        }
    }

    @Test
    void containerReleaseUnpinsAndUncharges() {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            MemorySegment buf = e.alloc(4 * M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.create(16, 4 * G, 1));
            assertEquals(0, e.map(0, 0x10000, buf));
            assertEquals(0, e.be.close(g), "closing the group fd detaches; the last group releases the driver");
            EmulatorState s = e.state();
            assertEquals(0, s.lockedVmBytes());
            assertEquals(0, s.preregRegions().size());
            assertEquals("none", s.container(3).iommu());
            // the PE got its default window back: a new container sees a fresh group
            int g2 = e.openGroup(0);
            int c2 = e.be.open("/dev/vfio/vfio");
            assertEquals(0, e.be.groupSetContainer(g2, c2));
            assertEquals(0, e.be.setIommu(c2, 7));
        }
    }

    @Test
    void secondProcessMemoryIsSharedAcrossContainers() {
        try (Emu e = new Emu(Profile.named(Profile.QEMU_PSERIES_2PHB))) {
            int g0 = e.openGroup(0);
            int g1 = e.openGroup(1);
            assertEquals(0, e.be.groupSetContainer(g0, e.container));
            assertEquals(0, e.be.setIommu(e.container, 7));
            int c2 = e.be.open("/dev/vfio/vfio");
            assertEquals(0, e.be.groupSetContainer(g1, c2));
            assertEquals(0, e.be.setIommu(c2, 7));
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(0, e.be.spaprRegisterMemory(c2, e.reg(buf.address(), M)), "the same region, shared");
            assertEquals(2, e.state().prereg(buf.address()).used());
            assertEquals(2, e.state().prereg(buf.address()).containers());
        }
    }

    @Test
    void twoGroupsInOneV2ContainerCannotGetWindows() {
        try (Emu e = new Emu(Profile.named(Profile.QEMU_PSERIES_2PHB))) {
            int g0 = e.openGroup(0);
            int g1 = e.openGroup(1);
            assertEquals(0, e.be.groupSetContainer(g0, e.container));
            assertEquals(0, e.be.groupSetContainer(g1, e.container));
            assertEquals(0, e.be.setIommu(e.container, 7));
            MemorySegment buf = e.alloc(M, false);
            assertEquals(0, e.register(buf));
            assertEquals(-EPERM, e.map(0, 0x1000, buf), "set_window on the other group: EPERM");
            assertEquals(-EPERM, e.create(16, 4 * G, 1));
        }
        try (Emu e = new Emu(Profile.named(Profile.QEMU_PSERIES_2PHB))) {
            int g0 = e.openGroup(0);
            int g1 = e.openGroup(1);
            assertEquals(0, e.be.groupSetContainer(g0, e.container));
            assertEquals(0, e.be.groupSetContainer(g1, e.container));
            assertEquals(EBUSY, -e.be.setIommu(e.container, 2), "v1 takes one group");
            assertEquals("none", e.state().container(3).iommu());
        }
    }

    @Test
    void noMmBeforeRegisterOrCreate() {
        try (Emu e = new Emu()) {
            e.setup(7);
            assertNull(e.state().container(3).window(0));
            assertEquals(0, e.state().lockedVmBytes());
        }
    }
}
