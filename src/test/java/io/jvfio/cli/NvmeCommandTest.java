package io.jvfio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.cli.CliTest.Result;
import io.jvfio.driver.nvme.NvmeHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvfio nvme} on the host: the contract's names and options, and bad input refused with one line
 * and exit status 2 or 3 before anything is written; the emulated backend's image persists between runs. The
 * data path on the real controller runs in the guest (GuestNvmeTest).
 */
class NvmeCommandTest {
    @TempDir
    Path tmp;

    static void assertOneLine(Result r, int status, String fragment) {
        assertEquals(status, r.status(), r.err());
        String[] lines = r.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("jvfio nvme ") && last.contains(fragment), r.err());
        assertTrue(lines.length <= 2, "one error line (after the backend line): " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void helpNamesTheSubcommandsAndOptions() {
        Result r = CliTest.jvfio("nvme", "--help");
        assertEquals(0, r.status(), r.err());
        for (String s : new String[] {"identify", "read", "write"}) {
            assertTrue(r.out().contains(s), r.out());
        }
        Result read = CliTest.jvfio("nvme", "read", "--help");
        for (String o : new String[] {"--lba", "--blocks", "--out", "--backend", "--group", "--device", "--image", "--size"}) {
            assertTrue(read.out().contains(o), o + " in\n" + read.out());
        }
        Result write = CliTest.jvfio("nvme", "write", "--help");
        assertTrue(write.out().contains("--in"), write.out());
        assertTrue(CliTest.jvfio("nvme", "identify", "--help").out().contains("--json"));
    }

    @Test
    void zeroBlocksIsBadInput() {
        assertOneLine(CliTest.jvfio("nvme", "read", "--lba", "0", "--blocks", "0", "--backend", "emulated",
                "--image", tmp.resolve("x.img").toString()), 2, "--blocks 0");
    }

    @Test
    void aFileNotAMultipleOfTheBlockSizeIsRefusedBeforeAnyDevice() throws IOException {
        Path in = Files.write(tmp.resolve("odd.bin"), new byte[1000]);
        assertOneLine(CliTest.jvfio("nvme", "write", "--lba", "0", "--in", in.toString(), "--backend", "kernel"), 2,
                "not a multiple of the block size");
    }

    @Test
    void emulatedNeedsAnImage() {
        assertOneLine(CliTest.jvfio("nvme", "identify", "--backend", "emulated"), 2, "--image");
    }

    @Test
    void missingImageWithoutSizeIsNotCreated() {
        Path img = tmp.resolve("none.img");
        assertOneLine(CliTest.jvfio("nvme", "identify", "--backend", "emulated", "--image", img.toString()), 3,
                "give --size");
        assertFalse(Files.exists(img));
    }

    @Test
    void badSizeIsBadInput() {
        Path img = tmp.resolve("s.img");
        assertOneLine(CliTest.jvfio("nvme", "identify", "--backend", "emulated", "--image", img.toString(), "--size",
                "1000"), 2, "multiple of 512");
        assertFalse(Files.exists(img));
    }

    @Test
    void imageAppliesToTheEmulatorOnly() {
        assertOneLine(CliTest.jvfio("nvme", "identify", "--backend", "kernel", "--image", "x.img"), 2,
                "emulated backend");
    }

    /** The emulated namespace is the image: what {@code write} puts there, a later run reads, as on a disk. */
    @Test
    void emulatedImagePersistsBetweenRuns() throws IOException {
        Path img = tmp.resolve("disk.img");
        byte[] data = new byte[3 * 512];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 3);
        }
        Path in = Files.write(tmp.resolve("in.bin"), data);
        Result w = CliTest.jvfio("nvme", "write", "--lba", "10", "--in", in.toString(), "--backend", "emulated",
                "--image", img.toString(), "--size", "1M");
        assertEquals(0, w.status(), w.err());
        assertEquals(1 << 20, Files.size(img), "created with --size");
        byte[] onDisk = java.util.Arrays.copyOfRange(Files.readAllBytes(img), 10 * 512, 13 * 512);
        assertTrue(java.util.Arrays.equals(data, onDisk), "the write landed in the image file");
        Path out = tmp.resolve("out.bin");
        Result r = CliTest.jvfio("nvme", "read", "--lba", "10", "--blocks", "3", "--out", out.toString(),
                "--backend", "emulated", "--image", img.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(java.util.Arrays.equals(data, Files.readAllBytes(out)), "a second run reads what the first wrote");
        Result id = CliTest.jvfio("nvme", "identify", "--json", "--backend", "emulated", "--image", img.toString());
        assertEquals(0, id.status(), id.err());
        assertTrue(id.out().contains("jvfio-nvme"), id.out());
    }

    @Test
    void anLbaBeyondTheEmulatedNamespaceWritesNothing() throws IOException {
        Path img = tmp.resolve("small.img");
        Files.write(img, new byte[64 * 512]);
        Path in = Files.write(tmp.resolve("in.bin"), new byte[2 * 512]);
        byte[] before = Files.readAllBytes(img);
        Result w = CliTest.jvfio("nvme", "write", "--lba", "63", "--in", in.toString(), "--backend", "emulated",
                "--image", img.toString());
        assertTrue(w.status() == 2 || w.status() == 3, w.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(img)), "nothing written");
    }

    @Test
    void kernelWithoutAControllerIsUnavailable() {
        Assumptions.assumeTrue(NvmeHost.kernelControllers().isEmpty(), "this host has an NVMe controller on vfio-pci");
        assertOneLine(CliTest.jvfio("nvme", "identify", "--backend", "kernel"), 3, "no NVMe controller");
    }
}
