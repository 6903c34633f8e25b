package io.jvfio.guest.dlpar;

import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.QmpHotplug;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;

/**
 * The guest half of DLPAR: asks the host for {@code device_add}/{@code device_del} with a console
 * marker ({@link QmpHotplug}), then waits, bounded, for the device to appear in or leave sysfs. The
 * guest's rtas_errd gets QEMU's RTAS hot-plug event and runs drmgr, which adds or removes the slot.
 */
final class GuestHotplug {
    /** The empty PHB of the DLPAR boot: the hot-added device is {@code 0001:00:00.0}, IOMMU group 1. */
    static final int PHB = 1;
    static final String ADDRESS = String.format("%04x:00:00.0", PHB);
    static final Duration APPEAR = Duration.ofSeconds(120);
    static final Path DEVICES = Path.of("/sys/bus/pci/devices");

    private GuestHotplug() {}

    /** Skips (visibly) unless this is the DLPAR guest boot ({@code make test-dlpar}). */
    static void assumeDlparGuest() {
        String cmdline;
        try {
            cmdline = Files.readString(Path.of("/proc/cmdline"));
        } catch (IOException e) {
            cmdline = "";
        }
        Assumptions.assumeTrue(cmdline.contains(GuestMachine.DLPAR_KERNEL_ARG), "needs the DLPAR guest boot"
                + " (make test-dlpar: an empty PHB, QMP, and " + GuestMachine.DLPAR_KERNEL_ARG + " on the kernel command line)");
    }

    /** Hot-adds an edu with QMP id {@code id} on the DLPAR PHB (unless present), binds it to vfio-pci; its IOMMU group. */
    static int hotAddEdu(String id) throws Exception {
        Path dev = DEVICES.resolve(ADDRESS);
        if (!Files.exists(dev)) {
            ask("device_add {\"driver\":\"edu\",\"id\":\"" + id + "\",\"bus\":\"phb" + PHB
                    + ".0\",\"dma_mask\":\"0xffffffffffffffff\"}");
            long t0 = System.nanoTime();
            await(() -> Files.exists(dev.resolve("iommu_group")), APPEAR, ADDRESS + " to appear after device_add (is rtas_errd"
                    + " running? the host's [qmp] lines say what QEMU answered)");
            System.out.printf(Locale.ROOT, "[dlpar] %s appeared %.1f s after the request%n", ADDRESS, (System.nanoTime() - t0) / 1e9);
        }
        if (!Files.exists(dev.resolve("driver"))) {
            Files.writeString(dev.resolve("driver_override"), "vfio-pci");
            Files.writeString(DEVICES.getParent().resolve("drivers_probe"), ADDRESS);
        }
        int group = Integer.parseInt(Files.readSymbolicLink(dev.resolve("iommu_group")).getFileName().toString());
        await(() -> Files.exists(Path.of("/dev/vfio/" + group)), Duration.ofSeconds(10), "/dev/vfio/" + group);
        return group;
    }

    /** Asks the host to remove the device with QMP id {@code id} (the guest's kernel then asks its holder). */
    static void hotRemove(String id) {
        ask("device_del {\"id\":\"" + id + "\"}");
    }

    /** Waits until {@link #ADDRESS} has left sysfs. */
    static void awaitGone(Duration bound) throws Exception {
        await(() -> !Files.exists(DEVICES.resolve(ADDRESS)), bound, ADDRESS + " to leave sysfs after device_del");
    }

    private static void ask(String request) {
        System.out.println(QmpHotplug.MARKER + request);
        System.out.flush();
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition c, Duration bound, String what) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + bound.toSeconds() + " s for " + what);
            }
            Thread.sleep(200);
        }
    }
}
