package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.jvfio.driver.nvme.NvmePattern;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The NVMe driver on the real kernel: one boot of the guest with QEMU's {@code nvme} on a PHB of its
 * own (IOMMU group 1, {@code 0001:00:00.0}) beside edu, backed by a raw image on the host. Before the
 * boot the host writes {@link NvmePattern#HOST} into the image; the guest runs
 * {@code NvmeDriverTest} (kernel row; polled and MSI-X; DDW and default window), which must read it
 * and writes its own regions; after the guest exits the host checks those bytes in the image.
 */
@Tag("guest")
class GuestNvmeTest {
    static final Path IMAGE = GuestSupport.projectDir().resolve("target/guest-nvme/nvme.img").toAbsolutePath();

    /** The QEMU arguments of the NVMe controller: its own PHB, a raw image as namespace 1. */
    static List<String> nvmeArgs(Path image) {
        return List.of("-device", "spapr-pci-host-bridge,index=1,id=phb1",
                "-drive", "file=" + image + ",if=none,id=nvme0,format=raw",
                "-device", "nvme,serial=jvfio-nvme,drive=nvme0,bus=phb1.0");
    }

    static GuestMachine machine(Path image) {
        return GuestMachine.builder().extraArgs(nvmeArgs(image).toArray(String[]::new))
                .timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).build();
    }

    static GuestRun testRun(GuestImages images) {
        GuestTestRun.Builder b = GuestTestRun.builder("guest-nvme");
        if (!Boolean.getBoolean("jvfio.guest.noCds")) {
            b.cds(images);
        }
        return b.selectClass("io.jvfio.driver.nvme.NvmeDriverTest").systemProperty("jvfio.backends", "kernel")
                .systemProperty("jvfio.nvme.scratch", "true").systemProperty("jvfio.nvme.hostPattern", "true")
                .excludeTag("bench").build();
    }

    /** The regions the guest writes, which the host then reads back from the image. */
    static List<NvmePattern.Region> guestWritten() {
        List<NvmePattern.Region> out = new ArrayList<>();
        for (int m = 0; m < NvmePattern.MODES; m++) {
            out.add(NvmePattern.written(m));
        }
        out.add(NvmePattern.UNFLUSHED);
        for (int t = 0; t < NvmePattern.THREADS; t++) {
            out.add(NvmePattern.perThread(t));
        }
        return out;
    }

    @TestFactory
    Stream<DynamicNode> nvmeDriverInTheGuest() throws IOException {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = machine(IMAGE);
        GuestImages images = GuestSupport.require(launcher, machine);
        Files.createDirectories(IMAGE.getParent());
        NvmePattern.createImage(IMAGE);
        System.out.println("[guest] nvme: " + String.join(" ", nvmeArgs(IMAGE)));
        GuestSuiteTest.Outcome o = GuestSuiteTest.boot(launcher, machine, testRun(images));
        List<DynamicNode> nodes = new ArrayList<>(GuestSuiteTest.nodes(o).toList());
        for (NvmePattern.Region r : guestWritten()) {
            nodes.add(DynamicTest.dynamicTest("host reads " + r.what() + " at lba " + r.lba() + " from the image", () -> {
                try {
                    assertArrayEquals(r.bytes(), NvmePattern.readImage(IMAGE, r), r + " in " + IMAGE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        return nodes.stream();
    }
}
