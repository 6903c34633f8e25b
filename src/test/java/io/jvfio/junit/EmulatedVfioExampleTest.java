package io.jvfio.junit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How a downstream driver project tests its driver on any host with {@link EmulatedVfio}: the
 * extension injects an emulated platform's {@link Vfio}, {@link Container} (group attached, IOMMU type
 * set), {@link Group}, {@link Device} and a planned {@link DmaSession}, and closes them after each test.
 */
@EmulatedVfio // qemu-pseries, group 0, SPAPR v2, its first device
class EmulatedVfioExampleTest {
    /** Objects injected by earlier tests: all must be closed once their test is over. */
    private static final List<AutoCloseable> SEEN = new ArrayList<>();

    @Test
    void aDriverTest_withASession(DmaSession session, Device dev) throws VfioException {
        try (EduDevice edu = EduDevice.open(dev)) {
            DmaMemory src = session.allocate(4096);
            DmaMemory dst = session.allocate(4096);
            long from = session.map(src, DmaDirection.TO_DEVICE);
            long to = session.map(dst, DmaDirection.FROM_DEVICE);
            src.segment().fill((byte) 0x42);
            edu.dmaToDevice(from, 0, 4000);
            edu.dmaFromDevice(0, to, 4000);
            assertEquals(-1, src.segment().asSlice(0, 4000).mismatch(dst.segment().asSlice(0, 4000)));
        }
    }

    @Test
    void theLowLevelObjects_areReady(Vfio vfio, Container c, Group g, Device dev, EmulatedBackend backend,
            Profile profile) throws VfioException {
        assertTrue(vfio.backend().emulated());
        assertSame(backend, vfio.backend());
        assertEquals(Profile.QEMU_PSERIES, profile.name());
        assertEquals(IommuType.SPAPR_TCE_V2, c.iommuType().orElseThrow());
        assertTrue(g.status().containerSet());
        assertEquals("0000:00:00.0", dev.address());
        SEEN.add(c);
        SEEN.add(g);
        SEEN.add(dev);
    }

    @Test
    @EmulatedVfio(profile = Profile.SRIOV_VF, iommu = IommuType.SPAPR_TCE_V1)
    void aMethodAnnotation_overridesTheClass(Container c, Profile p, DmaSession session) throws VfioException {
        assertEquals(Profile.SRIOV_VF, p.name());
        assertEquals(IommuType.SPAPR_TCE_V1, c.iommuType().orElseThrow());
        assertFalse(c.tceInfo().hasDdw(), "a v1 container never reports DDW");
        assertFalse(session.plan().createWindow(), "v1: the default window");
        assertTrue(session.window().isDefault());
    }

    @Test
    @EmulatedVfio(setIommu = false)
    void typeLeftUnset_forTestsOfSetIommuItself(Container c) throws VfioException {
        assertTrue(c.iommuType().isEmpty());
        c.setIommu(IommuType.SPAPR_TCE_V2);
    }

    @Test
    @EmulatedVfio(profile = Profile.QEMU_PSERIES_2PHB, group = 1, devices = "0001:00:00.0")
    void anotherGroup_andNamedDevices(Group g, Device dev) {
        assertEquals(1, g.number());
        assertEquals("0001:00:00.0", dev.address());
    }

    /** A custom platform: a 256M default window and no 16M TCE pages. */
    public static final class SmallWindow implements Supplier<Profile> {
        @Override
        public Profile get() {
            return Profile.builder().name("small-window").dma32WindowSize(256L << 20).pgsizes(0x1011000L).build();
        }
    }

    @Test
    @EmulatedVfio(custom = SmallWindow.class)
    void aCustomProfile(Container c, Profile p) throws VfioException {
        assertEquals("small-window", p.name());
        assertEquals(256L << 20, c.tceInfo().dma32WindowSize());
    }

    @Nested
    class InANestedClass {
        private Device fromBeforeEach;

        @BeforeEach
        void setUp(Device dev) {
            fromBeforeEach = dev;
        }

        @Test
        void lifecycleMethodsShareTheTestsPlatform(Device dev) {
            assertSame(fromBeforeEach, dev);
        }
    }

    @AfterAll
    static void everythingInjectedWasClosed() {
        for (AutoCloseable o : SEEN) {
            boolean open = switch (o) {
                case Container c -> c.isOpen();
                case Group g -> g.isOpen();
                case Device d -> d.isOpen();
                default -> false;
            };
            assertFalse(open, o + " left open after its test");
        }
    }
}

/** Registering the extension directly (without the annotation) gives the annotation's defaults. */
@ExtendWith(EmulatedVfioExtension.class)
class EmulatedVfioExtensionDefaultsTest {
    @Test
    void defaults(Container c, Profile p) {
        assertEquals(Profile.QEMU_PSERIES, p.name());
        assertEquals(IommuType.SPAPR_TCE_V2, c.iommuType().orElseThrow());
    }
}
