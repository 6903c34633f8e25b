package io.jvfio.emul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.ReleaseRequests;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.backend.Errno;
import io.jvfio.contract.Asleep;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The emulator's DLPAR paths the in-guest DlparTest does not take (DlparTest runs the shared body on it). */
class EmulatorHotplugTest {
    static final String ADDR = "0001:00:00.0";

    private static EmulatedBackend withHotAddedEdu() {
        EmulatedBackend b = new EmulatedBackend(Profile.named(Profile.QEMU_PSERIES));
        b.hotplug().add(GroupSpec.of(1, DeviceSpec.edu(ADDR, -1L)));
        return b;
    }

    @Test
    void hotAdd_makesANewGroup_andRefusesADuplicate() {
        try (EmulatedBackend b = withHotAddedEdu()) {
            assertEquals(List.of(0, 1), b.groups());
            assertEquals(List.of(ADDR), b.groupDevices(1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.hotplug().add(GroupSpec.of(1, DeviceSpec.edu("0002:00:00.0"))));
            assertTrue(e.getMessage().contains("group 1 exists"), e.getMessage());
            assertTrue(b.inspect().dmesg().contains("pci " + ADDR + ": Adding to iommu group 1"), b.inspect().dmesg().toString());
        }
    }

    @Test
    void removingADeviceNobodyHolds_isImmediate_andTheNodeGoes() {
        try (EmulatedBackend b = withHotAddedEdu()) {
            assertEquals(EmulatorHotplug.Removal.DONE, b.hotplug().remove(ADDR));
            assertEquals(List.of(0), b.groups());
            assertEquals(-Errno.ENOENT, b.open("/dev/vfio/1"));
            assertTrue(b.inspect().devices().stream().noneMatch(x -> x.pciAddress().equals(ADDR)), "left the snapshot");
            assertThrows(IllegalArgumentException.class, () -> b.hotplug().remove(ADDR));
        }
    }

    /** A test body with the hot-added edu open in a v2 container. */
    interface Held {
        void run(EmulatedBackend b, Group g, Device d) throws Exception;
    }

    private static void withHeldEdu(Held body) throws Exception {
        try (EmulatedBackend b = withHotAddedEdu(); Vfio vfio = Vfio.over(b); Container c = vfio.openContainer();
                Group g = vfio.openGroup(1)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            body.run(b, g, g.openDevice(ADDR));
        }
    }

    @Test
    void heldWithoutARequestChannel_logsAsTheKernelDoes_andLeavesAtTheLastClose() throws Exception {
        withHeldEdu((b, g, d) -> {
            assertEquals(EmulatorHotplug.Removal.REQUESTED, b.hotplug().remove(ADDR));
            assertTrue(b.inspect().dmesg().contains("vfio-pci " + ADDR
                    + ": No device request channel registered, blocked until released by user"), b.inspect().dmesg().toString());
            assertEquals(List.of(ADDR), b.groupDevices(1), "still there while held");
            d.close();
            assertEquals(List.of(), b.groupDevices(1));
            VfioException e = assertThrows(VfioException.class, g::status);
            assertEquals(Errno.ENODEV, e.errno(), "the open group fd of a removed group");
            assertTrue(b.inspect().containers().stream().allMatch(x -> x.windows().isEmpty()), "windows dropped");
        });
    }

    @Test
    void closingAnUnfiredWatch_endsItsThread_withoutTheListener_andClosesItsEventfd() throws Exception {
        withHeldEdu((b, g, d) -> {
            List<Integer> before = b.inspect().openFds();
            AtomicBoolean called = new AtomicBoolean();
            ReleaseRequests w = d.onReleaseRequest(dev -> called.set(true));
            Thread watch = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("jvfio-release-request-" + ADDR)).findFirst().orElseThrow();
            Asleep.until(watch, true);
            w.close();
            watch.join(Duration.ofSeconds(60)); // a hang guard
            assertFalse(watch.isAlive(), "the watch thread ended");
            assertFalse(called.get(), "the close's wake-up was not taken for a request");
            assertFalse(w.requested());
            assertEquals(before, b.inspect().openFds(), "the watch's eventfd is closed");
        });
    }

    @Test
    void requestInterrupt_reachesTheListener_andTheDeviceLeaves() throws Exception {
        withHeldEdu((b, g, d) -> {
            java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
            ReleaseRequests w = d.onReleaseRequest(dev -> {
                dev.close();
                asked.countDown();
            });
            assertFalse(w.requested());
            assertEquals(EmulatorHotplug.Removal.REQUESTED, b.hotplug().remove(ADDR));
            assertTrue(asked.await(60, java.util.concurrent.TimeUnit.SECONDS), "a hang guard, not a timing: the watch sleeps in poll(2) until the request");
            assertTrue(w.requested());
            assertFalse(d.isOpen());
            assertEquals(List.of(), b.groupDevices(1));
            assertTrue(b.inspect().dmesg().contains("vfio-pci " + ADDR + ": Relaying device request to user (#0)"));
        });
    }
}
