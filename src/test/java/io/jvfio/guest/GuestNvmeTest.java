package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.driver.nvme.NvmePattern;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.CommandResult;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.JvfioBatch;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
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
    /** Per kernel and flavour: stages that boot different kernels run side by side. */
    static final Path IMAGE = GuestSupport.projectDir().resolve("target/guest-nvme/nvme-" + GuestSupport.kernelTag() + ".img")
            .toAbsolutePath();

    /** The QEMU arguments of the NVMe controller: its own PHB, a raw image as namespace 1. */
    static List<String> nvmeArgs(Path image) {
        return List.of("-device", "spapr-pci-host-bridge,index=1,id=phb1",
                "-drive", "file=" + image + ",if=none,id=nvme0,format=raw",
                "-device", "nvme,serial=jvfio-nvme,drive=nvme0,bus=phb1.0");
    }

    static GuestMachine machine(Path image) {
        return GuestMachine.builder().extraArgs(nvmeArgs(image).toArray(String[]::new)).flavour(GuestSupport.flavour())
                .timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).build();
    }

    static GuestRun testRun(GuestImages images) {
        return GuestSupport.testRunBuilder("guest-nvme", images).selectClass("io.jvfio.driver.nvme.NvmeDriverTest").systemProperty("jvfio.backends", "kernel")
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
        nodes.addAll(imageChecks(IMAGE, guestWritten()));
        return nodes.stream();
    }

    /** After the guest exits: one test per region the guest wrote, read back from {@code image} on the host. */
    static List<DynamicNode> imageChecks(Path image, List<NvmePattern.Region> written) {
        List<DynamicNode> nodes = new ArrayList<>();
        for (NvmePattern.Region r : written) {
            nodes.add(DynamicTest.dynamicTest("host reads " + r.what() + " at lba " + r.lba() + " from " + image.getFileName(), () -> {
                try {
                    assertArrayEquals(r.bytes(), NvmePattern.readImage(image, r), r + " in " + image);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        return nodes;
    }

    /** 8 blocks of printable text, so what {@code jvfio nvme read} prints can be compared. */
    static String cliText() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < 8 * NvmePattern.BLOCK; i++) {
            b.append(String.format("jvfio nvme cli line %04d%n", i));
        }
        return b.substring(0, 8 * NvmePattern.BLOCK - 1) + "\n";
    }

    static final long CLI_LBA = 60000;

    /**
     * {@code jvfio nvme} in the guest (shaded jar, one JVM per command, about 10 s each under TCG, one
     * boot): identify (text and JSON), write then read back as text, an LBA beyond the namespace and a
     * device that is not NVMe refused with exit status 2 and 3, nothing written: the host checks the
     * image afterwards. Bad input that needs no device is covered on the host (NvmeCommandTest).
     */
    @Test
    void jvfioNvmeCommandsInTheGuest() throws IOException {
        HostQemuLauncher launcher = new HostQemuLauncher();
        Path image = IMAGE.resolveSibling("cli.img");
        GuestMachine machine = machine(image);
        GuestImages images = GuestSupport.require(launcher, machine);
        Path jar = JvfioBatch.defaultJar();
        if (!Files.isRegularFile(jar)) {
            GuestSupport.unavailable("no shaded jar " + jar + ": run make build");
        }
        Files.createDirectories(image.getParent());
        NvmePattern.createImage(image);
        Path text = image.resolveSibling("cli.txt");
        Files.writeString(text, cliText());
        long last = NvmePattern.IMAGE_BYTES / NvmePattern.BLOCK - 1;
        JvfioBatch batch = JvfioBatch.create().jar(jar);
        String in = batch.ship(text);
        batch.command("identify", "nvme", "identify")
                .command("identify-json", "nvme", "identify", "--json", "--group", "1")
                .command("write", "nvme", "write", "--lba", Long.toString(CLI_LBA), "--in", in)
                .command("read", "nvme", "read", "--lba", Long.toString(CLI_LBA), "--blocks", "8", "--device", "0001:00:00.0")
                .command("write-beyond", "nvme", "write", "--lba", Long.toString(last), "--in", in)
                .command("not-nvme", "nvme", "identify", "--device", "0000:00:00.0");
        GuestResult r = launcher.run(machine, images, batch.build("jvfio-nvme-cli"));
        Map<String, CommandResult> out = JvfioBatch.results(r);
        System.out.println("[guest] jvfio nvme commands: " + out.size() + " in one boot, " + r.timing());
        assertEquals(List.of("identify", "identify-json", "write", "read", "write-beyond", "not-nvme"), List.copyOf(out.keySet()), r.runOutput()::toString);
        CommandResult id = out.get("identify");
        assertEquals(0, id.exitStatus(), id::output);
        assertTrue(id.output().contains("namespace 1: 131072 blocks of 512 bytes"), id::output);
        CommandResult json = out.get("identify-json");
        assertEquals(0, json.exitStatus(), json::output);
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                json.output().substring(json.output().indexOf('{')));
        assertEquals(131072, tree.path("namespace").path("blocks").asLong(), json::output);
        assertEquals("0001:00:00.0", tree.path("device").asText(), json::output);
        assertEquals(0, out.get("write").exitStatus(), out.get("write")::output);
        CommandResult read = out.get("read");
        assertEquals(0, read.exitStatus(), read::output);
        assertTrue(read.output().contains(cliText().strip()), read::output);
        CommandResult beyond = out.get("write-beyond");
        assertEquals(2, beyond.exitStatus(), beyond::output);
        assertTrue(beyond.output().contains("beyond namespace 1's 131072 blocks"), beyond::output);
        CommandResult notNvme = out.get("not-nvme");
        assertEquals(3, notNvme.exitStatus(), notNvme::output);
        assertTrue(notNvme.output().contains("not an NVMe controller"), notNvme::output);
        // On the host: the write landed, the refused one wrote nothing.
        byte[] expected = cliText().getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(expected, NvmePattern.readImage(image, new NvmePattern.Region("cli", CLI_LBA, 8, 0)));
        assertArrayEquals(new byte[NvmePattern.BLOCK], NvmePattern.readImage(image,
                new NvmePattern.Region("refused", last, 1, 0)));
    }
}
