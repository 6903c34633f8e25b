package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.device.nvme.NvmeNamespace;
import io.jvfio.emul.nvme.NvmeHost.Cmd;
import io.jvfio.emul.nvme.NvmeHost.Queue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A raw image file behind namespace 1: the host's bytes in, the controller's bytes out, across controllers. */
class NvmeImageTest {
    @TempDir
    Path dir;

    @Test
    void dataPersistsInTheFileAcrossTwoControllers() throws IOException {
        Path img = dir.resolve("disk.img");
        byte[] before = NvmeIoTest.pattern(1 << 20, 7);
        before = Arrays.copyOf(before, (1 << 20) + 100); // a partial block at the end is not addressable
        Files.write(img, before);
        byte[] written = NvmeIoTest.pattern(16 * 512, 8);
        try (NvmeHost h = new NvmeHost(NvmeNamespace.file(img))) {
            assertEquals(2048, h.ns.blocks(), "nsze = size / 512");
            h.enable();
            Queue q = h.createPair(1, 4, 0, false);
            assertArrayEquals(Arrays.copyOfRange(before, 512 * 10, 512 * 18), NvmeIoTest.readBack(h, q, 10, 8),
                    "the host's bytes, read by the controller");
            long src = h.bus.alloc(2 * 4096);
            h.bus.fill(src, written);
            assertEquals(0, h.run(q, NvmeHost.rw(CMD_WRITE, 2000, 16, src, src + 4096)).status());
            assertEquals(LBA_RANGE | DNR, h.run(q, NvmeHost.rw(CMD_WRITE, 2040, 9, src, src + 4096)).status(),
                    "the partial block at the end is beyond the namespace");
            assertEquals(0, h.ns.flushes());
            h.write32(REG_CC, NvmeHost.CC_ENABLE | 1 << 14);
            assertEquals(CSTS_SHST_COMPLETE, h.reg32(REG_CSTS) & CSTS_SHST_MASK);
            assertEquals(1, h.ns.flushes(), "shutdown forced the image");
        }
        byte[] after = Files.readAllBytes(img);
        assertEquals(before.length, after.length, "the image keeps its size");
        assertArrayEquals(written, Arrays.copyOfRange(after, 2000 * 512, 2016 * 512), "the controller's bytes in the file");
        assertArrayEquals(Arrays.copyOf(before, 2000 * 512), Arrays.copyOf(after, 2000 * 512), "nothing else changed");
        assertArrayEquals(Arrays.copyOfRange(before, 2016 * 512, before.length),
                Arrays.copyOfRange(after, 2016 * 512, after.length));
        try (NvmeHost h = new NvmeHost(NvmeNamespace.file(img))) {
            h.enable();
            Queue q = h.createPair(1, 4, 0, false);
            assertArrayEquals(written, NvmeIoTest.readBack(h, q, 2000, 16), "a second controller reads them back");
            assertEquals(0, h.run(q, new Cmd(CMD_FLUSH, 1)).status());
            assertEquals(1, h.ns.flushes(), "FLUSH forced the image");
        }
    }

    @Test
    void createdImageHasTheSizeAskedForAndReadsZeros() throws IOException {
        Path img = dir.resolve("new.img");
        try (NvmeHost h = new NvmeHost(NvmeNamespace.create(img, 64 * 512))) {
            assertEquals(64, h.ns.blocks());
            h.enable();
            Queue q = h.createPair(1, 4, 0, false);
            assertArrayEquals(new byte[8 * 512], NvmeIoTest.readBack(h, q, 56, 8));
        }
        assertEquals(64 * 512, Files.size(img));
        assertThrows(IOException.class, () -> NvmeNamespace.create(img, 512), "never over an existing image");
        assertThrows(IllegalArgumentException.class, () -> NvmeNamespace.create(dir.resolve("odd.img"), 1000));
    }

    @Test
    void badImagesAreRefusedWithAReason() throws IOException {
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[100]);
        IOException e = assertThrows(IOException.class, () -> NvmeNamespace.file(tiny));
        assertTrue(e.getMessage().contains("512-byte block"), e.getMessage());
        assertThrows(IOException.class, () -> NvmeNamespace.file(dir.resolve("absent.img")));
        assertThrows(IllegalArgumentException.class, () -> NvmeNamespace.memory(1000));
    }
}
