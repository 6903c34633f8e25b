package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged qemu-images scripts are the repository's, byte for byte, and come out runnable. */
class ImageScriptsTest {
    @Test
    void packagedScriptsAreTheRepositoryCopies(@TempDir Path tmp) throws Exception {
        Path dir = ImageScripts.extract(tmp);
        Path repo = Path.of(System.getProperty("jvfio.project.dir", ".")).resolve("qemu-images");
        for (String f : new String[] {"build.sh", "common.sh", "init", "boot.sh", "docker/build-image.sh",
            "nested/build-l1.sh"}) {
            assertArrayEquals(Files.readAllBytes(repo.resolve(f)), Files.readAllBytes(dir.resolve(f)), f);
        }
        assertTrue(Files.isExecutable(dir.resolve("build.sh")));
        assertTrue(Files.isExecutable(dir.resolve("docker/build-image.sh")));
        assertEquals(dir, ImageScripts.extract(tmp), "the same content is extracted once");
    }
}
