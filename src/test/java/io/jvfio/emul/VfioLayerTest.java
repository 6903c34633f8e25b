package io.jvfio.emul;

import static io.jvfio.backend.Errno.EBADF;
import static io.jvfio.backend.Errno.EBADFD;
import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOTTY;
import static io.jvfio.backend.Errno.ESPIPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.abi.Arch;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.ErrnoException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** container.c / group.c semantics, fds, the dispatcher, and the device fd basics. */
class VfioLayerTest {

    @Test
    void fdsAreLowestFreeFromThree() {
        try (Emu e = new Emu()) {
            assertEquals(3, e.container);
            assertEquals(4, e.openGroup(0));
            assertEquals(5, e.be.open("/dev/vfio/vfio"));
            assertEquals(0, e.be.close(4));
            assertEquals(4, e.be.eventfd(0, 0));
            assertEquals(-EBADF, e.be.close(4 + 100));
            assertEquals(-EBADF, e.be.close(-1));
            assertEquals(-EBADF, e.be.getApiVersion(-1));
        }
    }

    @Test
    void openPaths() {
        try (Emu e = new Emu()) {
            assertEquals(-ENOENT, e.be.open("/dev/vfio/1"));
            assertEquals(-ENOENT, e.be.open("/dev/vfio/00"));
            assertEquals(-ENOENT, e.be.open("/dev/null"));
            int g = e.openGroup(0);
            assertEquals(-EBUSY, e.openGroup(0));
            assertEquals(0, e.be.close(g));
            assertEquals(g, e.openGroup(0));
            assertEquals("emulated qemu-pseries (ppc64le)", e.be.description());
        }
    }

    @Test
    void containerBeforeSetIommu() {
        try (Emu e = new Emu()) {
            assertEquals(-EINVAL, e.be.setIommu(e.container, 7), "no group yet");
            assertEquals(-EINVAL, e.tceInfo(e.info(32)), "any other ioctl before SET_IOMMU");
            assertEquals(-EINVAL, e.be.iommuEnable(e.container));
            int g = e.openGroup(0);
            assertEquals(0, e.be.groupSetContainer(g, e.container));
            assertEquals(-ENODEV, e.be.setIommu(e.container, 1), "type1 is not built on ppc64");
            assertEquals(-ENODEV, e.be.setIommu(e.container, 5), "EEH off: no driver claims 5");
            assertEquals(0, e.be.setIommu(e.container, 2));
            assertEquals(-EINVAL, e.be.setIommu(e.container, 7), "a driver is set already");
            assertEquals(-ENOTTY, e.be.groupGetStatus(e.container, e.arena.allocate(8)), "group ioctl on a container");
        }
    }

    @Test
    void otherArchitectureNumbers() {
        try (Emu e = new Emu()) {
            int x86 = VfioIoctl.VFIO_GET_API_VERSION.request(Arch.X86_64);
            assertEquals(-EINVAL, e.be.ioctl(e.container, x86, MemorySegment.NULL), "no driver: container.c answers EINVAL");
            int g = e.setup(7);
            assertEquals(-ENOTTY, e.be.ioctl(e.container, x86, MemorySegment.NULL), "the SPAPR driver: ENOTTY");
            assertEquals(-ENOTTY, e.be.ioctl(g, VfioIoctl.VFIO_GROUP_GET_STATUS.request(Arch.X86_64), e.arena.allocate(8)));
            assertEquals(0, e.be.ioctl(e.container, VfioIoctl.VFIO_GET_API_VERSION.request(Arch.PPC64LE), MemorySegment.NULL));
        }
        try (EmulatedBackend x = new EmulatedBackend(Profile.qemuPseries(), Arch.X86_64)) {
            int c = x.open("/dev/vfio/vfio");
            assertEquals(0, x.getApiVersion(c));
            assertEquals(1, x.checkExtension(c, 7));
            assertEquals("emulated qemu-pseries (x86_64)", x.description());
        }
    }

    @Test
    void setContainerErrors() {
        try (Emu e = new Emu()) {
            int g = e.openGroup(0);
            int efd = e.be.eventfd(0, 0);
            assertEquals(-EBADF, e.be.groupSetContainer(g, 99));
            assertEquals(-EBADFD, e.be.groupSetContainer(g, efd));
            assertEquals(-EBADFD, e.be.groupSetContainer(g, g));
            assertEquals(0, e.be.groupSetContainer(g, e.container));
            assertEquals(-EINVAL, e.be.groupSetContainer(g, e.container), "already has a container");
            assertEquals(0, e.be.groupUnsetContainer(g));
            assertEquals(-EINVAL, e.be.groupUnsetContainer(g), "no container");
            assertEquals(-EFAULT, e.be.groupGetStatus(g, MemorySegment.NULL));
            MemorySegment st = e.arena.allocate(8);
            st.set(ValueLayout.JAVA_INT, 0, 7);
            assertEquals(-EINVAL, e.be.groupGetStatus(g, st));
        }
    }

    @Test
    void deviceFdRules() {
        try (Emu e = new Emu()) {
            int g = e.openGroup(0);
            assertEquals(-ENODEV, e.be.groupGetDeviceFd(g, "0000:00:01.0"), "unknown name first");
            assertEquals(-EINVAL, e.be.groupGetDeviceFd(g, "0000:00:00.0"), "no container");
            assertEquals(0, e.be.groupSetContainer(g, e.container));
            assertEquals(-EINVAL, e.be.groupGetDeviceFd(g, "0000:00:00.0"), "no IOMMU type");
            assertEquals(0, e.be.setIommu(e.container, 7));
            int d = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(5, d);
            int d2 = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(6, d2, "a device can be opened twice through its group");
            assertEquals(-EBUSY, e.be.groupUnsetContainer(g), "device fds open");
            assertEquals(0, e.be.close(d));
            assertEquals(-EBUSY, e.be.groupUnsetContainer(g));
            assertEquals(0, e.be.close(d2));
            assertEquals(0, e.be.groupUnsetContainer(g));
            assertEquals("none", e.state().container(3).iommu(), "last group gone: driver released");
            assertEquals(-EINVAL, e.be.setIommu(e.container, 7), "and the container needs a group again");
        }
    }

    @Test
    void deviceNameMatchLikeVfioPci() {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            assertEquals(-EINVAL, e.be.groupGetDeviceFd(g, "0000:00:00.0 foo=1"), "unknown option");
            assertEquals(-EINVAL, e.be.groupGetDeviceFd(g, "0000:00:00.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258"),
                    "a VF token for a device that is neither PF nor VF");
            assertEquals(-ENODEV, e.be.groupGetDeviceFd(g, "0000:00:00.0x"));
            assertEquals(5, e.be.groupGetDeviceFd(g, "0000:00:00.0  "), "trailing blanks match");
        }
    }

    @Test
    void segmentsOfClosedArenasThrowLikeTheLinker() {
        try (Emu e = new Emu()) {
            java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined();
            MemorySegment s = a.allocate(64);
            a.close();
            assertThrows(IllegalStateException.class, () -> e.be.spaprTceGetInfo(e.container, s));
        }
    }

    @Test
    void closingTheGroupFdDetachesButDeviceFdsKeepTheGroupFile() {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            int d = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(0, e.be.close(g));
            assertEquals(-EBUSY, e.openGroup(0), "the device fd holds the group file");
            assertEquals(java.util.List.of(0), e.state().container(3).groups());
            assertEquals(0, e.be.close(d));
            assertEquals("none", e.state().container(3).iommu());
            assertEquals(4, e.openGroup(0));
        }
    }

    @Test
    void deviceIoctlsAndRegions() throws Exception {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            int d = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            assertEquals(-EINVAL, e.be.deviceReset(d), "no reset method");
            long[] r = new long[1];
            for (int i = 1; i <= 6; i++) {
                MemorySegment s = e.regionInfo(d, i, r);
                assertEquals(0, r[0]);
                assertEquals(0, io.jvfio.abi.vfio_region_info.size.get(s));
                assertEquals((long) i << 40, io.jvfio.abi.vfio_region_info.offset.get(s));
            }
            e.regionInfo(d, 8, r);
            assertEquals(-EINVAL, r[0], "no VGA");
            e.regionInfo(d, 9, r);
            assertEquals(-EINVAL, r[0]);
            assertEquals(-ENOTTY, e.be.ioctl(d, VfioIoctl.VFIO_IOMMU_UNMAP_DMA.request(Arch.PPC64LE), e.arena.allocate(24)));
            assertEquals(-EINVAL, e.be.pread(d, e.arena.allocate(4), 1L << 40), "BAR1 has no resource");
            assertEquals(-EINVAL, e.be.pread(d, e.arena.allocate(4), 0x100000), "past BAR0");
            assertEquals(-EFAULT, e.be.pread(d, e.arena.allocate(4), (7L << 40) + 0xfe), "past the config space");
            assertEquals(-EINVAL, e.be.pread(e.container, e.arena.allocate(4), 0));
            int efd = e.be.eventfd(0, 0);
            assertEquals(-ESPIPE, e.be.pread(efd, e.arena.allocate(8), 0));
            ErrnoException x = assertThrows(ErrnoException.class, () -> e.be.mmapRegion(d, 7L << 40, 4096));
            assertEquals(EINVAL, x.errno(), "config space cannot be mmapped");
            x = assertThrows(ErrnoException.class, () -> e.be.mmapRegion(g, 0, 4096));
            assertEquals(ENODEV, x.errno());
            x = assertThrows(ErrnoException.class, () -> e.be.mmapRegion(d, 0, 0x100001));
            assertEquals(EINVAL, x.errno());
            x = assertThrows(ErrnoException.class, () -> e.be.mmapRegion(d, 100, 4096));
            assertEquals(EINVAL, x.errno());
        }
    }

    @Test
    void irqInfo() {
        try (Emu e = new Emu()) {
            int g = e.setup(7);
            int d = (int) e.be.groupGetDeviceFd(g, "0000:00:00.0");
            int[][] expect = {{0x7, 1}, {0x9, 1}, {0x9, 0}, {-EINVAL, 0}, {0x9, 1}};
            for (int i = 0; i < 5; i++) {
                MemorySegment s = e.arena.allocate(16);
                s.set(ValueLayout.JAVA_INT, 0, 16);
                s.set(ValueLayout.JAVA_INT, 8, i);
                long r = e.be.deviceGetIrqInfo(d, s);
                if (expect[i][0] < 0) {
                    assertEquals(expect[i][0], r);
                } else {
                    assertEquals(0, r);
                    assertEquals(expect[i][0], s.get(ValueLayout.JAVA_INT, 4), "flags of index " + i);
                    assertEquals(expect[i][1], s.get(ValueLayout.JAVA_INT, 12), "count of index " + i);
                }
            }
        }
    }

    @Test
    void eventfdSemantics() {
        try (Emu e = new Emu()) {
            int efd = e.be.eventfd(2, 04000);
            MemorySegment v = e.arena.allocate(8);
            assertEquals(8, e.be.read(efd, v));
            assertEquals(2, v.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-io.jvfio.backend.Errno.EAGAIN, e.be.read(efd, v));
            v.set(ValueLayout.JAVA_LONG, 0, 5);
            assertEquals(8, e.be.write(efd, v));
            assertEquals(-EINVAL, e.be.read(efd, e.arena.allocate(4)));
            assertEquals(-EINVAL, e.be.eventfd(0, 0x10));
            int sem = e.be.eventfd(3, 1 | 04000);
            assertEquals(8, e.be.read(sem, v));
            assertEquals(1, v.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-ENOTTY, e.be.getApiVersion(efd));
        }
    }

    @Test
    void blockedEventfdReaderWakesOnSignalAndOnClose() throws Exception {
        Emu e = new Emu();
        int efd = e.be.eventfd(0, 0);
        MemorySegment v = e.arena.allocate(8);
        long[] got = new long[1];
        Thread t = new Thread(() -> got[0] = e.be.read(efd, v));
        t.start();
        Thread.sleep(50);
        assertTrue(t.isAlive());
        MemorySegment one = e.arena.allocate(8);
        one.set(ValueLayout.JAVA_LONG, 0, 1);
        assertEquals(8, e.be.write(efd, one));
        t.join(5000);
        assertEquals(8, got[0]);
        Thread t2 = new Thread(() -> got[0] = e.be.read(efd, v));
        t2.start();
        Thread.sleep(50);
        e.be.close();
        t2.join(5000);
        assertEquals(-EBADF, got[0]);
        e.arena.close();
    }

    @Test
    void unknownProfileNameListsTheKnownOnes() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> Profile.named("nope"));
        for (String n : Profile.names()) {
            assertTrue(x.getMessage().contains(n));
        }
        assertEquals(java.util.List.of("qemu-pseries", "qemu-pseries-7.2", "qemu-pseries-2phb", "sriov-vf", "no-ddw", "big-window",
                "qemu-pseries-slof", "qemu-pseries-nvme", "qemu-pseries-topology", "qemu-pseries-topology-nvme"),
                Profile.names());
    }
}
