package io.jvfio.emul;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.backend.Errno.ENOTTY;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_region_info;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Replays /work/shared/reference/kernel-observed-6.12-pseries.txt, the oracle: every call the real
 * 6.12 pSeries guest answered, with the same answers.
 */
class KernelObservedReplayTest {
    static final long DDW = 0x800000000000000L;

    @Test
    void test1ContainerBasics() {
        try (Emu e = new Emu()) {
            assertEquals(0, e.be.getApiVersion(e.container));
            long[] expect = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0};
            for (int ext = 1; ext <= 10; ext++) {
                assertEquals(expect[ext - 1], e.be.checkExtension(e.container, ext), "CHECK_EXTENSION(" + ext + ")");
            }
        }
    }

    @Test
    void test2V2Flow() {
        try (Emu e = new Emu()) {
            int g = e.openGroup(0);
            assertEquals(1, e.groupFlags(g));
            assertEquals(0, e.be.groupSetContainer(g, e.container));
            assertEquals(3, e.groupFlags(g));
            assertEquals(0, e.be.setIommu(e.container, 7));
            MemorySegment info = e.info(32);
            assertEquals(0, e.tceInfo(info));
            byte[] raw = info.asSlice(0, 32).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(hex("2000000001000000" + "0000000000000040" + "0010210100000000" + "0200000001000000"), raw);
            MemorySegment ext = e.info(56);
            assertEquals(0, e.tceInfo(ext));
            assertEquals(-1L, ext.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 32), "bytes past 32 untouched");
            assertEquals(1, e.be.checkExtension(e.container, 7));
            assertEquals(0, e.be.checkExtension(e.container, 5));

            MemorySegment normal = e.alloc(32 * M, false);
            MemorySegment huge = e.alloc(8 * M, true);
            long nb = normal.address();
            long hb = huge.address();

            assertEquals(-EPERM, e.map(0, 0x10000, normal));
            assertEquals(-EINVAL, e.register(nb + 1, 0x10000));
            assertEquals(0, e.register(nb, 0x2000000));
            assertEquals(-EBUSY, e.register(nb, 0x2000000));
            assertEquals(0, e.register(hb, 0x800000));

            assertEquals(0, e.map(0x100000, 0x100000, nb, Emu.RW));
            assertEquals(0, e.map(0x100000, 0x10000, nb, Emu.RW), "remap of a mapped TCE");
            assertEquals(0, e.unmap(0x100000, 0x100000));
            assertEquals(-ENXIO, e.map(0x40000000L, 0x10000, nb, Emu.RW));

            // (shift, window, buffer for maps, normalFails)
            window(e, 12, 0x40000000L, nb, 0x10000, 0x1000);
            assertEquals(-EINVAL, e.create(12, 0x40000000L, 2));
            window(e, 12, 0x100000000L, nb, 0x10000, 0x1000);
            assertEquals(-EINVAL, e.create(12, 0x100000000L, 2));

            assertEquals(0, e.create(16, 0x100000000L, 1));
            assertEquals(DDW, e.lastStart);
            assertEquals(0, e.map(DDW, 0x10000, hb, Emu.RW));
            assertEquals(0, e.unmap(DDW, 0x10000));
            assertEquals(0, e.map(DDW + 0xffff0000L, 0x10000, hb, Emu.RW));
            assertEquals(0, e.unmap(DDW + 0xffff0000L, 0x10000));
            assertEquals(-ENXIO, e.map(DDW + 0x100000000L, 0x10000, hb, Emu.RW));
            assertEquals(-EINVAL, e.map(DDW, 0x10000, nb, Emu.RW), "normal pages smaller than the TCE page");
            assertEquals(0, e.remove(DDW));
            assertEquals(-EINVAL, e.create(16, 0x100000000L, 2));
            assertEquals(-EINVAL, e.create(16, 0x1000000000L, 2));

            for (long w : new long[] {0x100000000L, 0x400000000L}) {
                assertEquals(0, e.create(21, w, 1));
                assertEquals(DDW, e.lastStart);
                assertEquals(0, e.map(DDW, 0x200000, hb, Emu.RW));
                assertEquals(0, e.unmap(DDW, 0x200000));
                assertEquals(0, e.map(DDW + w - 0x200000, 0x200000, hb, Emu.RW));
                assertEquals(0, e.unmap(DDW + w - 0x200000, 0x200000));
                assertEquals(-ENXIO, e.map(DDW + w, 0x200000, hb, Emu.RW));
                assertEquals(-EINVAL, e.map(DDW, 0x200000, nb, Emu.RW));
                assertEquals(0, e.remove(DDW));
            }
            assertEquals(-EINVAL, e.create(21, 0x400000000L, 2));
            assertEquals(-EINVAL, e.create(21, 0x10000000000L, 2));

            for (long w : new long[] {0x100000000L, 0x1000000000L}) {
                assertEquals(0, e.create(24, w, 1));
                assertEquals(DDW, e.lastStart);
                assertEquals(-EINVAL, e.map(DDW, 0x1000000, nb, Emu.RW));
                assertEquals(-EINVAL, e.map(DDW + w - 0x1000000, 0x1000000, nb, Emu.RW));
                assertEquals(-ENXIO, e.map(DDW + w, 0x1000000, nb, Emu.RW));
                assertEquals(0, e.remove(DDW));
            }
            assertEquals(-EINVAL, e.create(24, 0x1000000000L, 2));
            assertEquals(-EINVAL, e.create(24, 0x10000000000L, 2));
            for (int levels = 3; levels <= 5; levels++) {
                assertEquals(-EINVAL, e.create(16, 0x100000000L, levels));
            }
            assertEquals(-EINVAL, e.create(13, 0x100000000L, 1));
            assertEquals(-EINVAL, e.create(30, 0x10000000000L, 1));

            // remove the default window and re-create windows
            assertEquals(0, e.remove(0));
            assertEquals(-EINVAL, e.remove(0));
            assertEquals(-ENXIO, e.map(0x100000, 0x10000, nb, Emu.RW));
            assertEquals(0, e.create(12, 0x40000000L, 1));
            assertEquals(0, e.lastStart);
            assertEquals(0, e.map(0, 0x10000, nb, Emu.RW));
            assertEquals(0, e.unmap(0, 0x10000));
            assertEquals(0, e.map(0x3ffff000L, 0x1000, nb, Emu.RW));
            assertEquals(0, e.unmap(0x3ffff000L, 0x1000));
            assertEquals(-ENXIO, e.map(0x40000000L, 0x1000, nb, Emu.RW));
            assertEquals(0, e.create(21, 0x1000000000L, 1));
            assertEquals(DDW, e.lastStart);
            assertEquals(0, e.map(DDW, 0x200000, hb, Emu.RW));
            assertEquals(0, e.unmap(DDW, 0x200000));
            assertEquals(0, e.map(DDW + 0xfffe00000L, 0x200000, hb, Emu.RW));
            assertEquals(0, e.unmap(DDW + 0xfffe00000L, 0x200000));
            assertEquals(-ENXIO, e.map(DDW + 0x1000000000L, 0x200000, hb, Emu.RW));
            assertEquals(-EINVAL, e.map(DDW, 0x200000, nb, Emu.RW));
            assertEquals(-ENOSPC, e.create(12, 0x40000000L, 1));
            assertEquals(0, e.remove(DDW));
            assertEquals(0, e.remove(0));
            assertEquals(0, e.create(12, 0x40000000L, 1));
            assertEquals(0, e.lastStart);
            assertEquals(0, e.map(0, 0x10000, nb, Emu.RW));
            assertEquals(0, e.unmap(0, 0x10000));
            assertEquals(0, e.map(0x3ffff000L, 0x1000, nb, Emu.RW));
            assertEquals(0, e.unmap(0x3ffff000L, 0x1000));
            assertEquals(-ENXIO, e.map(0x40000000L, 0x1000, nb, Emu.RW));

            assertEquals(0, e.unregister(nb, 0x2000000));
            assertEquals(-ENOENT, e.unregister(nb, 0x2000000));
            assertEquals(0, e.unregister(hb, 0x800000));
            assertEquals(0, e.be.groupUnsetContainer(g));
            assertEquals(0, e.state().kernelBugs().size());
        }
    }

    /** A 4K-page window with maps at start and at the last page, and the first page past it. */
    private static void window(Emu e, int shift, long size, long buf, long first, long last) {
        assertEquals(0, e.create(shift, size, 1));
        assertEquals(DDW, e.lastStart);
        assertEquals(0, e.map(DDW, first, buf, Emu.RW));
        assertEquals(0, e.unmap(DDW, first));
        assertEquals(0, e.map(DDW + size - last, last, buf, Emu.RW));
        assertEquals(0, e.unmap(DDW + size - last, last));
        assertEquals(-ENXIO, e.map(DDW + size, last, buf, Emu.RW));
        assertEquals(0, e.remove(DDW));
    }

    @Test
    void test3V1Flow() {
        try (Emu e = new Emu()) {
            int g = e.openGroup(0);
            assertEquals(1, e.groupFlags(g));
            assertEquals(0, e.be.groupSetContainer(g, e.container));
            assertEquals(3, e.groupFlags(g));
            assertEquals(0, e.be.setIommu(e.container, 2));
            MemorySegment info = e.info(32);
            assertEquals(0, e.tceInfo(info));
            assertArrayEquals(hex("2000000000000000" + "0000000000000040" + "0000000000000000" + "0000000000000000"),
                    info.asSlice(0, 32).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            MemorySegment buf = e.alloc(32 * M, false);
            assertEquals(-EPERM, e.map(0x100000, 0x10000, buf));
            assertEquals(0, e.be.iommuEnable(e.container));
            assertEquals(-EBUSY, e.be.iommuEnable(e.container));
            assertEquals(0, e.map(0x100000, 0x100000, buf));
            assertEquals(0, e.unmap(0x100000, 0x100000));
            assertEquals(0, e.map(0x3ffff000L, 0x1000, buf));
            assertEquals(0, e.unmap(0x3ffff000L, 0x1000));
            assertEquals(-ENOTTY, e.create(16, 0x100000000L, 1));
            assertEquals(-ENOTTY, e.register(buf.address(), 0x10000));
            assertEquals(0, e.be.iommuDisable(e.container));
            assertEquals(0, e.be.groupUnsetContainer(g));
        }
    }

    @Test
    void test4DeviceView() {
        // the trace was recorded under SLOF, which sets SERR (0x0100) in the command register
        try (Emu e = new Emu(Profile.named(Profile.QEMU_PSERIES_SLOF))) {
            int g = e.setup(7);
            assertEquals(5, g + 1, "container 3, group 4");
            int dev = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(5, dev);
            MemorySegment di = e.deviceInfo(dev);
            assertEquals(0x2, vfio_device_info.flags.get(di));
            assertEquals(9, vfio_device_info.num_regions.get(di));
            assertEquals(5, vfio_device_info.num_irqs.get(di));
            long[] r = new long[1];
            MemorySegment bar0 = e.regionInfo(dev, 0, r);
            assertEquals(0, r[0]);
            assertEquals(0x100000, vfio_region_info.size.get(bar0));
            assertEquals(0, vfio_region_info.offset.get(bar0));
            assertEquals(0x7, vfio_region_info.flags.get(bar0));
            MemorySegment cfg = e.regionInfo(dev, VfioUapi.VFIO_PCI_CONFIG_REGION_INDEX, r);
            assertEquals(0x100, vfio_region_info.size.get(cfg));
            assertEquals(0x70000000000L, vfio_region_info.offset.get(cfg));
            assertEquals(0x3, vfio_region_info.flags.get(cfg));
            assertEquals(0x1234, e.configRead16(dev, 0));
            assertEquals(0x11e8, e.configRead16(dev, 2));
            assertEquals(0x0102, e.configRead16(dev, 4));
            e.configWrite16(dev, 4, 0x0102 | 0x6);
            assertEquals(0x0106, e.configRead16(dev, 4));
            assertEquals(0, e.be.close(dev));
            assertEquals(0, e.be.groupUnsetContainer(g));
        }
    }

    @Test
    void getInfoV1ArgszSixteenWritesOnlySixteenBytes() {
        try (Emu e = new Emu()) {
            e.setup(7);
            MemorySegment info = e.info(16);
            assertEquals(0, e.tceInfo(info));
            assertEquals(0x40000000, vfio_iommu_spapr_tce_info.dma32_window_size.get(info));
            assertEquals(-1L, info.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16));
            assertEquals(-EINVAL, e.tceInfo(e.info(15)));
        }
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
