package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpioTest {
    @TempDir
    Path tmp;

    @Test
    void newcLayout_headerNamePaddingTrailer() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Cpio c = new Cpio(out)) {
            c.file("a", 0644, "xyz".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] b = out.toByteArray();
        String s = new String(b, StandardCharsets.ISO_8859_1);
        assertEquals(0, b.length % 512, "padded to 512");
        assertTrue(s.startsWith("070701"), s.substring(0, 6));
        // mode field (2nd) = 0100644, filesize (7th) = 3, namesize (12th) = 2
        assertEquals(String.format("%08X", 0100644), s.substring(14, 22));
        assertEquals("00000003", s.substring(54, 62));
        assertEquals("00000002", s.substring(94, 102));
        // name "a\0" at 110, header+name = 112 (aligned), data at 112
        assertEquals("a\0", s.substring(110, 112));
        assertEquals("xyz", s.substring(112, 115));
        assertEquals(116, s.indexOf("070701", 1), "data padded to 4");
        assertTrue(s.contains("TRAILER!!!"));
    }

    @Test
    void rejectsEscapingPaths() {
        Cpio c = new Cpio(new ByteArrayOutputStream());
        assertThrows(IllegalArgumentException.class, () -> c.file("../x", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> c.file("a//b", 0644, new byte[0]));
    }

    /** GNU cpio reads it back: parents created, contents and modes intact. */
    @Test
    void gnuCpioExtractsIt() throws Exception {
        Assumptions.assumeTrue(HostQemuLauncher.findExecutable("cpio").isPresent(), "no cpio(1) on this host");
        Path src = Files.writeString(tmp.resolve("src.bin"), "hello\n");
        Path archive = tmp.resolve("a.cpio");
        try (var o = Files.newOutputStream(archive); Cpio c = new Cpio(o)) {
            c.file("jvfio/run", 0755, "echo hi\n".getBytes(StandardCharsets.UTF_8));
            c.file("jvfio/cp/lib/x.txt", 0644, src);
            c.symlink("jvfio/link", "run");
            c.file("jvfio/empty", 0600, new byte[0]);
        }
        Path dest = Files.createDirectory(tmp.resolve("out"));
        Process p = new ProcessBuilder(List.of("cpio", "-id", "--quiet", "-F", archive.toString()))
                .directory(dest.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        assertEquals("echo hi\n", Files.readString(dest.resolve("jvfio/run")));
        assertTrue(Files.isExecutable(dest.resolve("jvfio/run")));
        assertEquals("hello\n", Files.readString(dest.resolve("jvfio/cp/lib/x.txt")));
        assertEquals("run", Files.readSymbolicLink(dest.resolve("jvfio/link")).toString());
        assertEquals(0, Files.size(dest.resolve("jvfio/empty")));
    }
}
