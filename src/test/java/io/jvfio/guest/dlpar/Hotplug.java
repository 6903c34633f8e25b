package io.jvfio.guest.dlpar;

import io.jvfio.contract.Fixture;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.EmulatorHotplug;
import io.jvfio.emul.GroupSpec;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.QmpHotplug;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * DLPAR for one backend of the contract table: the guest kernel (the host's QEMU adds and removes
 * the device, asked for on the console) or the emulator ({@link EmulatorHotplug}). Both put an edu
 * on PHB 1: {@code 0001:00:00.0}, IOMMU group 1.
 */
sealed interface Hotplug permits Hotplug.Guest, Hotplug.Emulated {
    int PHB = 1;
    String ADDRESS = String.format("%04x:00:00.0", PHB);
    /** The QEMU id of the hot-added device. */
    String ID = "dlpar-edu";

    /** The backend's hot-plug; skips (visibly) on the kernel outside the DLPAR guest boot. */
    static Hotplug of(Fixture f) {
        if (f.b instanceof EmulatedBackend e) {
            return new Emulated(e.hotplug(), e);
        }
        Guest.assumeDlparGuest();
        return new Guest();
    }

    /** Hot-adds the edu (unless present) bound to vfio-pci; its IOMMU group. */
    int add() throws Exception;

    /** Hot-removes the edu: the kernel asks its holder for it. */
    void remove() throws Exception;

    /** Waits (bounded) until the edu has left. */
    void awaitGone() throws Exception;

    /** The process's open fds (jvfio's, on the emulator). */
    long openFds() throws IOException;

    /** The guest: console markers for the host's QMP ({@link QmpHotplug}), sysfs for the outcome. */
    final class Guest implements Hotplug {
        static final Duration BOUND = Duration.ofSeconds(120);
        static final Path DEVICES = Path.of("/sys/bus/pci/devices");

        static void assumeDlparGuest() {
            String cmdline;
            try {
                cmdline = Files.readString(Path.of("/proc/cmdline"));
            } catch (IOException e) {
                cmdline = "";
            }
            Assumptions.assumeTrue(cmdline.contains(GuestMachine.DLPAR_KERNEL_ARG), "needs the DLPAR guest boot (make"
                    + " test-dlpar: an empty PHB, QMP, and " + GuestMachine.DLPAR_KERNEL_ARG + " on the kernel command line)");
        }

        @Override
        public int add() throws Exception {
            Path dev = DEVICES.resolve(ADDRESS);
            if (!Files.exists(dev)) {
                ask("device_add {\"driver\":\"edu\",\"id\":\"" + ID + "\",\"bus\":\"phb" + PHB
                        + ".0\",\"dma_mask\":\"0xffffffffffffffff\"}");
                long t0 = System.nanoTime();
                await(() -> Files.exists(dev.resolve("iommu_group")), ADDRESS + " to appear after device_add (is rtas_errd"
                        + " running? the host's [qmp] lines say what QEMU answered)");
                System.out.printf(Locale.ROOT, "[dlpar] %s appeared %.1f s after device_add%n", ADDRESS,
                        (System.nanoTime() - t0) / 1e9);
            }
            if (!Files.exists(dev.resolve("driver"))) {
                Files.writeString(dev.resolve("driver_override"), "vfio-pci");
                Files.writeString(DEVICES.getParent().resolve("drivers_probe"), ADDRESS);
            }
            int group = Integer.parseInt(Files.readSymbolicLink(dev.resolve("iommu_group")).getFileName().toString());
            await(() -> Files.exists(Path.of("/dev/vfio/" + group)), "/dev/vfio/" + group);
            return group;
        }

        @Override
        public void remove() {
            ask("device_del {\"id\":\"" + ID + "\"}");
        }

        @Override
        public void awaitGone() throws Exception {
            await(() -> !Files.exists(DEVICES.resolve(ADDRESS)), ADDRESS + " to leave sysfs after device_del");
        }

        @Override
        public long openFds() throws IOException {
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                return s.count();
            }
        }

        private static void ask(String request) {
            System.out.println(QmpHotplug.MARKER + request);
            System.out.flush();
        }

        interface Condition {
            boolean holds() throws Exception;
        }

        private static void await(Condition c, String what) throws Exception {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!c.holds()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("waited " + BOUND.toSeconds() + " s for " + what);
                }
                Thread.sleep(200);
            }
        }
    }

    /** The emulator: the same steps, synchronous. */
    record Emulated(EmulatorHotplug hotplug, EmulatedBackend backend) implements Hotplug {
        @Override
        public int add() {
            if (!backend.groups().contains(PHB)) {
                hotplug.add(GroupSpec.of(PHB, DeviceSpec.edu(ADDRESS, -1L)));
            }
            return PHB;
        }

        @Override
        public void remove() {
            Assertions.assertEquals(EmulatorHotplug.Removal.REQUESTED, hotplug.remove(ADDRESS), "the edu is held");
        }

        @Override
        public void awaitGone() {
            Assertions.assertEquals(java.util.List.of(), backend.groupDevices(PHB), "group " + PHB + "'s devices");
            Assertions.assertFalse(backend.groups().contains(PHB), "group " + PHB + " is gone");
        }

        @Override
        public long openFds() {
            return backend.inspect().openFds().size();
        }
    }
}
