package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page-size flavours {@code jvfio diff --page-size} chooses between, and the package each names. */
class GuestImagesFlavourTest {
    private static final String SHA = "0".repeat(63) + "1";

    @Test
    void flavourByPageSize() {
        assertEquals(GuestImages.Flavour.K4, GuestImages.Flavour.ofPageSize(4096));
        assertEquals(GuestImages.Flavour.K64, GuestImages.Flavour.ofPageSize(65536));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GuestImages.Flavour.ofPageSize(8192));
        assertTrue(e.getMessage().contains("8192") && e.getMessage().contains("64k"), e.getMessage());
    }

    @Test
    void kernelPackagePerFlavour(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("versions.lock"), "# built by build.sh\n"
                + "linux-image-6.12.95+deb12-powerpc64le bookworm-backports 6.12.95-1~bpo12+1 " + SHA + "\n");
        GuestImages images = GuestImages.at(dir);
        assertEquals("linux-image-6.12.95+deb12-powerpc64le bookworm-backports 6.12.95-1~bpo12+1",
                images.kernelPackage(GuestImages.Flavour.K4));
        // Without build.sh --with-64k's lock the 64k flavour falls back to versions.lock.
        assertEquals(images.kernelPackage(), images.kernelPackage(GuestImages.Flavour.K64));
        Files.writeString(dir.resolve(".lock-64k"),
                "linux-image-6.12.95+deb12-powerpc64le-64k bookworm-backports 6.12.95-1~bpo12+1 " + SHA + "\n");
        assertEquals("linux-image-6.12.95+deb12-powerpc64le-64k bookworm-backports 6.12.95-1~bpo12+1",
                images.kernelPackage(GuestImages.Flavour.K64));
    }
}
