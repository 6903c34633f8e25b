package io.jvfio.api;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Bar;
import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.EventFd;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.VfioIoctlException;
import io.jvfio.VfioUnavailableException;
import io.jvfio.backend.Errno;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.EmulatorState;
import io.jvfio.emul.Profile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The public API's contract (README, "Errors and threads"): closing an owner closes what it made, a
 * freed buffer is neither pinned nor mappable, and each kind of failure has its exception type.
 */
class ContractTest {
    private EmulatedBackend backend;
    private Vfio vfio;

    @BeforeEach
    void platform() {
        backend = new EmulatedBackend(Profile.named("qemu-pseries"));
        vfio = Vfio.over(backend);
    }

    @AfterEach
    void down() {
        vfio.close();
    }

    private Container v2(Group g) throws VfioException {
        return MisuseTest.v2(vfio, g);
    }

    private static void assertClosed(Executable call, String what) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertFalse(e.getMessage().contains("EBADF"), e.getMessage());
        assertFalse(e.getMessage().contains("modprobe"), e.getMessage());
    }

    @Test
    void closingTheVfio_closesEverythingItOpened() throws Exception {
        Group g = vfio.openGroup(0);
        Container c = v2(g);
        Device d = g.openDevice("0000:00:00.0");
        Bar bar = d.mapBar(0);
        EventFd ev = vfio.eventfd();
        Container idle = vfio.openContainer();
        DmaBuffer b = vfio.allocate(1 << 20, false);
        c.registerMemory(b.segment());
        c.map(0x100000, b.segment(), DmaDirection.BIDIRECTIONAL);

        vfio.close();

        assertFalse(vfio.isOpen());
        for (boolean open : List.of(c.isOpen(), idle.isOpen(), g.isOpen(), d.isOpen(), b.isAlive())) {
            assertFalse(open);
        }
        assertClosed(c::apiVersion, "container is closed");
        assertClosed(idle::tceInfo, "container is closed");
        assertClosed(g::status, "group 0 is closed");
        assertClosed(d::info, "is closed");
        assertClosed(() -> ev.await(Duration.ZERO), "eventfd is closed");
        assertThrows(IllegalStateException.class, () -> bar.read32(0));
        assertClosed(vfio::openContainer, "this Vfio is closed");
        assertClosed(() -> vfio.openGroup(0), "this Vfio is closed");
        assertClosed(() -> vfio.allocate(1 << 20, false), "this Vfio is closed");
        assertClosed(vfio::eventfd, "this Vfio is closed");
        vfio.close(); // idempotent
        c.close();
    }

    @Test
    void closingTheVfio_beforeASessionOnIt_leavesTheSessionNothingToFailOn() throws Exception {
        io.jvfio.toolkit.DmaSession s = io.jvfio.toolkit.DmaSession.open(vfio, 0);
        io.jvfio.toolkit.DmaMemory m = s.allocate(64 << 10);
        s.map(m);
        vfio.close();
        assertFalse(s.container().isOpen());
        assertFalse(m.segment().scope().isAlive(), "the memory went with the Vfio");
        s.close(); // the kernel released everything with the container: no EBADF, no exception
    }

    @Test
    void closingTheVfio_onTheKernelBackend_isIllegalStateNotEnoent() {
        Vfio k = Vfio.kernel();
        k.close();
        assertClosed(k::openContainer, "this Vfio is closed");
    }

    @Test
    void freeingABuffer_unmapsAndUnregistersIt() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = v2(g)) {
            DmaBuffer b = vfio.allocate(1 << 20, false);
            long addr = b.address();
            c.registerMemory(b.segment());
            c.map(0x100000, b.segment(), DmaDirection.BIDIRECTIONAL);
            c.map(0x300000, addr + 0x10000, 0x20000, DmaDirection.TO_DEVICE); // by address, a second IOVA
            c.unmap(0x104000, 0x1000); // a hole: two pieces left of the first mapping
            assertEquals(255 + 32, backend.inspect().containers().get(0).window(0).mappedTces());

            b.close();

            EmulatorState st = backend.inspect();
            assertEquals(0, st.containers().get(0).window(0).mappedTces(), "mappings undone: " + st);
            assertNull(st.prereg(addr), "registration undone: " + st);
            assertEquals(List.of(), st.preregRegions(), "nothing registered: " + st);
            assertEquals(0, st.liveMemoryBlocks(), "no memory kept alive by pins: " + st);
            // The freed range cannot be mapped by address: it is no longer registered.
            VfioIoctlException e = assertThrows(VfioIoctlException.class,
                    () -> c.map(0x100000, addr, 0x10000, DmaDirection.BIDIRECTIONAL));
            assertEquals(Errno.EINVAL, e.errno());
        }
    }

    @Test
    void freeingABuffer_onV1_unmapsIt() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = vfio.openContainer()) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            c.enable();
            DmaBuffer b = vfio.allocate(64 << 10, false);
            c.map(0x100000, b.segment(), DmaDirection.BIDIRECTIONAL);
            assertEquals(16, backend.inspect().containers().get(0).window(0).mappedTces());
            b.close();
            assertEquals(0, backend.inspect().containers().get(0).window(0).mappedTces());
        }
    }

    @Test
    void registeredMemoryFreedBehindTheApi_cannotBeMappedByAddress() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = v2(g)) {
            Arena a = Arena.ofShared();
            MemorySegment own = backend.mmapAnonymous(1 << 20, false, a);
            c.registerMemory(own);
            long addr = own.address();
            a.close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> c.map(0x100000, addr, 0x10000, DmaDirection.BIDIRECTIONAL));
            assertTrue(e.getMessage().contains("was freed"), e.getMessage());
        }
    }

    @Test
    void exceptionKinds_followTheContract() throws Exception {
        // What the platform refuses: a VfioException leaf with the errno.
        VfioUnavailableException absent = assertThrows(VfioUnavailableException.class, () -> vfio.openGroup(9));
        assertEquals(Errno.ENOENT, absent.errno());
        // What jvfio refuses before the call: VfioGuardException (errno 0).
        VfioGuardException guard = assertThrows(VfioGuardException.class, () -> vfio.allocate(100, false));
        assertEquals(0, guard.errno());
        try (Group g = vfio.openGroup(0); Container c = v2(g); Device d = g.openDevice("0000:00:00.0");
             DmaBuffer b = vfio.allocate(1 << 20, false)) {
            // Misuse: null arguments, out-of-range offsets, unknown names.
            assertThrows(NullPointerException.class, () -> c.map(0x100000, b.segment(), null));
            assertThrows(NullPointerException.class, () -> c.registerMemory(null));
            assertThrows(NullPointerException.class, () -> g.attach(null));
            assertThrows(NullPointerException.class, () -> g.openDevice(null));
            Bar bar = d.mapBar(0);
            assertThrows(IndexOutOfBoundsException.class, () -> bar.read32(bar.size()));
            assertThrows(IllegalArgumentException.class, () -> bar.read32(1));
            // The kernel's refusals stay VfioExceptions.
            assertThrows(VfioIoctlException.class, () -> d.region(99));
        }
        assertThrows(IllegalArgumentException.class, () -> Vfio.emulated("nonesuch"));
    }
}
