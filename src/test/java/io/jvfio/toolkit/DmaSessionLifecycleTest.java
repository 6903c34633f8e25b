package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Container;
import io.jvfio.DmaDirection;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.emul.Profile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order of the ioctls the toolkit issues: the registration lifecycle and the teardown. */
class DmaSessionLifecycleTest {

    @Test
    void session_setupAndTeardown_areInTheSafeOrder() throws VfioException {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.qemuPseries(), rec)) {
            DmaSession s = DmaSession.open(vfio, 0);
            DmaMemory m = s.allocate(64L << 10);
            long iova = s.map(m);
            assertTrue(m.isRegistered(s.container()));
            assertEquals(List.of(new DmaMemory.Mapping(iova, 0, 64L << 10, DmaDirection.BIDIRECTIONAL)),
                    m.mappings(s.container()));
            s.close();
            assertFalse(m.isAlive(), "session-allocated memory is freed by the session");
            assertFalse(s.container().isOpen());
            List<String> c = rec.ioctls();
            assertEquals(List.of("open", "open", "groupGetStatus", "groupSetContainer", "setIommu", "spaprTceGetInfo",
                    "spaprTceGetInfo", "spaprTceRemove", "spaprTceCreate", "spaprRegisterMemory", "iommuMapDma",
                    "iommuUnmapDma", "spaprUnregisterMemory", "spaprTceRemove", "close", "close"), c);
        }
    }

    @Test
    void memoryClosedBeforeTheSession_unmapsThenUnregisters_andTheSessionStillClosesCleanly() throws VfioException {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.qemuPseries(), rec); DmaSession s = DmaSession.open(vfio, 0)) {
            DmaMemory m = DmaMemory.allocate(vfio, 8192, Backing.ANONYMOUS);
            long iova = s.map(m);
            int before = rec.ioctls().size();
            m.close();
            assertEquals(List.of("iommuUnmapDma", "spaprUnregisterMemory"), rec.ioctls().subList(before,
                    rec.ioctls().size()));
            assertFalse(m.isAlive());
            assertTrue(s.iovas().allocatedRanges().isEmpty(), "the IOVA range went back to the allocator");
            assertEquals(iova, s.map(s.allocate(8192)), "and is reused");
        }
    }

    @Test
    void dmaMemory_withAPlainContainer_registersOnceAndUnmapsBeforeUnregistering() throws VfioException {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.qemuPseries(), rec);
                Container c = vfio.openContainer();
                Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            try (DmaMemory m = DmaMemory.allocate(vfio, 1L << 20, Backing.ANONYMOUS)) {
                m.map(c, 0x100000, DmaDirection.BIDIRECTIONAL);
                m.map(c, 0x400000, DmaDirection.TO_DEVICE);
                assertEquals(2, m.mappings(c).size());
            }
            List<String> l = rec.ioctls();
            int reg = l.indexOf("spaprRegisterMemory");
            assertEquals(reg, l.lastIndexOf("spaprRegisterMemory"), "registered once");
            assertTrue(reg < l.indexOf("iommuMapDma"));
            int unreg = l.indexOf("spaprUnregisterMemory");
            assertTrue(l.lastIndexOf("iommuUnmapDma") < unreg, "unmap before unregister");
            assertEquals(2, l.stream().filter("iommuUnmapDma"::equals).count());
        }
    }

    @Test
    void v1Container_noRegistration_enableAndDisable() throws VfioException {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.qemuPseries(), rec);
                Container c = vfio.openContainer();
                Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            try (DmaSession s = DmaSession.over(c, SessionOptions.defaults())) {
                assertEquals(IommuType.SPAPR_TCE_V1, s.iommuType());
                assertFalse(s.plan().createWindow());
                assertTrue(s.window().isDefault());
                DmaMemory m = s.allocate(4096);
                s.map(m);
                assertFalse(m.isRegistered(c), "v1 has no registration: MAP pins");
                assertThrows(IllegalStateException.class, () -> s.openDevice("0000:00:00.0"),
                        "a session over a container does not own the group");
            }
            assertTrue(c.isOpen(), "a session over a container leaves it open");
            List<String> l = rec.ioctls();
            assertTrue(l.contains("iommuEnable"));
            assertFalse(l.contains("spaprRegisterMemory"));
            assertTrue(l.indexOf("iommuUnmapDma") < l.indexOf("iommuDisable"));
        }
    }

    @Test
    void containerClosedUnderTheSession_sessionCloseIssuesNothingAndSucceeds() throws VfioException {
        Platforms.Recorder rec = new Platforms.Recorder();
        try (Vfio vfio = Platforms.recorded(Profile.qemuPseries(), rec)) {
            Container c = vfio.openContainer();
            vfio.openGroup(0).attach(c);
            DmaSession s = DmaSession.over(c, SessionOptions.defaults());
            DmaMemory m = s.allocate(4096);
            s.map(m);
            c.close(); // closes the group too: the kernel released everything
            int before = rec.ioctls().size();
            s.close();
            assertEquals(before, rec.ioctls().size(), "no ioctl on a closed container");
            assertFalse(m.isAlive());
        }
    }

    @Test
    void closeIsIdempotent_andUseAfterCloseIsRefused() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES)) {
            DmaSession s = DmaSession.open(vfio, 0);
            DmaMemory m = s.allocate(4096);
            s.close();
            s.close();
            assertThrows(IllegalStateException.class, () -> s.map(m));
            assertThrows(IllegalStateException.class, () -> m.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
    }
}
