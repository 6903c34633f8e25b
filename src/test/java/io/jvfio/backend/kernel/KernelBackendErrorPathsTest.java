package io.jvfio.backend.kernel;

import static io.jvfio.backend.Errno.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioUnavailableException;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The kernel backend against the real kernel of whatever host runs the tests: on x86 without VFIO
 * every path is an error path, and each must come back as the exact errno or a clear exception.
 */
class KernelBackendErrorPathsTest {
    private final KernelBackend k = new KernelBackend();

    private static void assertErrno(int expected, long result, String what) {
        assertEquals(-expected, result, () -> what + ": expected " + Errno.format(expected) + ", got "
                + (result < 0 ? Errno.format((int) -result) : "ret=" + result));
    }

    @Test
    void noVfio_openContainer_saysWhatToDo() {
        assumeFalse(Vfio.kernelAvailable(), "this host has /dev/vfio/vfio: the no-VFIO path cannot be shown here");
        try (Vfio vfio = Vfio.kernel()) {
            VfioUnavailableException e = assertThrows(VfioUnavailableException.class, vfio::openContainer);
            assertEquals(ENOENT, e.errno());
            assertEquals("ENOENT", e.errnoName());
            assertTrue(e.getMessage().contains("open(/dev/vfio/vfio)"), e.getMessage());
            assertTrue(e.getMessage().contains("ENOENT (2)"), e.getMessage());
            assertTrue(e.getMessage().contains("load the vfio modules, or use the emulated backend"), e.getMessage());
        }
    }

    @Test
    void noGroup_openGroup_saysHowToBind() {
        assumeFalse(Files.exists(Path.of("/dev/vfio/4242")), "group 4242 exists?");
        try (Vfio vfio = Vfio.kernel()) {
            VfioException e = assertThrows(VfioUnavailableException.class, () -> vfio.openGroup(4242));
            assertTrue(e.getMessage().contains("vfio-pci"), e.getMessage());
        }
    }

    @Test
    void everyIoctl_onBadFd_EBADF() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(64);
            assertErrno(EBADF, k.getApiVersion(-1), "GET_API_VERSION(-1)");
            assertErrno(EBADF, k.checkExtension(-1, 7), "CHECK_EXTENSION(-1)");
            assertErrno(EBADF, k.setIommu(-1, IommuType.SPAPR_TCE_V2.value()), "SET_IOMMU(-1)");
            assertErrno(EBADF, k.groupGetStatus(-1, s), "GROUP_GET_STATUS(-1)");
            assertErrno(EBADF, k.groupSetContainer(-1, -1), "GROUP_SET_CONTAINER(-1)");
            assertErrno(EBADF, k.groupUnsetContainer(-1), "GROUP_UNSET_CONTAINER(-1)");
            assertErrno(EBADF, k.groupGetDeviceFd(-1, "0000:00:00.0"), "GROUP_GET_DEVICE_FD(-1)");
            assertErrno(EBADF, k.deviceGetInfo(-1, s), "DEVICE_GET_INFO(-1)");
            assertErrno(EBADF, k.deviceGetRegionInfo(-1, s), "DEVICE_GET_REGION_INFO(-1)");
            assertErrno(EBADF, k.deviceGetIrqInfo(-1, s), "DEVICE_GET_IRQ_INFO(-1)");
            assertErrno(EBADF, k.deviceSetIrqs(-1, s), "DEVICE_SET_IRQS(-1)");
            assertErrno(EBADF, k.deviceReset(-1), "DEVICE_RESET(-1)");
            assertErrno(EBADF, k.spaprTceGetInfo(-1, s), "SPAPR_TCE_GET_INFO(-1)");
            assertErrno(EBADF, k.iommuEnable(-1), "ENABLE(-1)");
            assertErrno(EBADF, k.iommuDisable(-1), "DISABLE(-1)");
            assertErrno(EBADF, k.iommuMapDma(-1, s), "MAP_DMA(-1)");
            assertErrno(EBADF, k.iommuUnmapDma(-1, s), "UNMAP_DMA(-1)");
            assertErrno(EBADF, k.spaprRegisterMemory(-1, s), "REGISTER_MEMORY(-1)");
            assertErrno(EBADF, k.spaprUnregisterMemory(-1, s), "UNREGISTER_MEMORY(-1)");
            assertErrno(EBADF, k.spaprTceCreate(-1, s), "TCE_CREATE(-1)");
            assertErrno(EBADF, k.spaprTceRemove(-1, s), "TCE_REMOVE(-1)");
            assertErrno(EBADF, k.eehPeOp(-1, s), "EEH_PE_OP(-1)");
            assertErrno(EBADF, k.pread(-1, s, 0), "pread(-1)");
            assertErrno(EBADF, k.close(-1), "close(-1)");
        }
    }

    @Test
    void vfioIoctl_onAPipe_ENOTTY_errnoExact() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(ValueLayout.JAVA_INT, 2);
            assertEquals(0, LibC.pipe(fds));
            int r = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
            int w = fds.getAtIndex(ValueLayout.JAVA_INT, 1);
            try {
                for (VfioIoctl ioctl : VfioIoctl.values()) {
                    assertErrno(ENOTTY, k.ioctl(r, ioctl.request(k.arch()), a.allocate(64)), ioctl.name() + " on a pipe");
                }
                // FIONREAD is the benchmark's call: it must succeed on a pipe.
                MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
                assertEquals(0, k.ioctl(r, fionread(), n));
                assertEquals(0, n.get(ValueLayout.JAVA_INT, 0));
            } finally {
                k.close(r);
                k.close(w);
            }
        }
    }

    static int fionread() {
        return switch (io.jvfio.abi.Arch.host()) {
            case PPC64LE -> 0x4004667f;
            default -> 0x541b;
        };
    }

    @Test
    void mmapRegion_badFd_throwsErrnoException() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> k.mmapRegion(-1, 0, 4096));
        assertEquals(EBADF, e.errno());
        assertTrue(e.getMessage().contains("EBADF (9)"), e.getMessage());
    }

    @Test
    void hugetlb_withoutReservedPages_ENOMEM() throws Exception {
        String meminfo = Files.readString(Path.of("/proc/meminfo"));
        assumeTrue(meminfo.contains("HugePages_Free:        0"), "this host has free huge pages");
        try (Arena a = Arena.ofShared()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> k.mmapAnonymous(2 << 20, true, a));
            assertEquals(ENOMEM, e.errno());
        }
    }

    @Test
    void anonymousMemory_isUsableAndUnmappedWithItsArena() throws Exception {
        MemorySegment seg;
        try (Arena a = Arena.ofShared()) {
            seg = k.mmapAnonymous(1 << 20, false, a);
            assertEquals(0, seg.address() % k.pageSize(), "page aligned");
            seg.set(ValueLayout.JAVA_LONG, (1 << 20) - 8, 0x1234L);
            assertEquals(0x1234L, seg.get(ValueLayout.JAVA_LONG, (1 << 20) - 8));
        }
        MemorySegment dead = seg;
        assertThrows(IllegalStateException.class, () -> dead.get(ValueLayout.JAVA_LONG, 0),
                "access after the arena closed must throw, not fault");
    }

    @Test
    void closedArenaSegment_passedToAnIoctl_throwsNotCrashes() {
        Arena a = Arena.ofConfined();
        MemorySegment s = a.allocate(vfio_iommu_type1_dma_map.LAYOUT);
        a.close();
        assertThrows(IllegalStateException.class, () -> k.iommuMapDma(-1, s));
    }

    @Test
    void pageSizes_areSane() {
        assertTrue(Long.bitCount(k.pageSize()) == 1 && k.pageSize() >= 4096);
        assertTrue(Long.bitCount(k.hugePageSize()) == 1 && k.hugePageSize() > k.pageSize());
    }
}
