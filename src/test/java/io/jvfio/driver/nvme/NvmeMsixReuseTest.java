package io.jvfio.driver.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Vfio;
import io.jvfio.abi.Arch;
import io.jvfio.backend.KernelFix;
import io.jvfio.driver.nvme.NvmeOptions.Completion;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MSI-X on a controller opened twice in one boot of the emulated pSeries guest, per kernel: 6.12
 * delivers both times; with {@link KernelFix#PSERIES_MSI_PARENT_DOMAIN} (7.2.12) the first open
 * delivers, vfio-pci's reset at close clears the MSI-X table, the second open's vectors write nowhere
 * and the driver refuses MSI-X naming the cause. The kernel row of the same behaviour is
 * {@code NvmeDriverTest#msixAfterReopen} in the guest.
 */
class NvmeMsixReuseTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {Profile.KERNEL, Profile.KERNEL_NEWEST})
    void secondOpen_deliversOrIsRefusedWithTheCause(String kernel) throws IOException {
        Path image = dir.resolve("nvme.img");
        NvmePattern.createImage(image);
        NvmeHost.Location at = NvmeHost.emulatedLocation();
        NvmeOptions msix = NvmeOptions.defaults().withCompletion(Completion.MSIX);
        EmulatedBackend b = new EmulatedBackend(NvmeHost.emulatedProfile(image).withKernel(kernel), Arch.PPC64LE);
        try (Vfio vfio = Vfio.over(b)) {
            try (NvmeController c = NvmeController.open(vfio, at.group(), at.address(), msix);
                    NvmeQueuePair q = c.queuePair()) {
                q.read(0, 1);
                assertTrue(q.pair().queue.interruptsSeen(Duration.ofSeconds(2)) > 0, "first open, kernel " + kernel);
            }
            assertEquals(0, lostMsix(b, at));
            if (KernelFix.PSERIES_MSI_PARENT_DOMAIN.carriedBy(kernel)) {
                NvmeException e = assertThrows(NvmeException.class,
                        () -> NvmeController.open(vfio, at.group(), at.address(), msix).close());
                assertEquals(NvmeException.Kind.UNSUPPORTED, e.kind());
                assertEquals("MSI-X setup", e.command());
                assertTrue(e.getMessage().contains("daaa574aba6f") && e.getMessage().contains("POLLED"), e.getMessage());
                assertTrue(lostMsix(b, at) > 0, "the admin vector fired into a clear MSI-X table");
            } else {
                try (NvmeController c = NvmeController.open(vfio, at.group(), at.address(), msix);
                        NvmeQueuePair q = c.queuePair()) {
                    q.read(0, 1);
                    assertTrue(q.pair().queue.interruptsSeen(Duration.ofSeconds(2)) > 0, "second open, kernel " + kernel);
                }
                assertEquals(0, lostMsix(b, at));
            }
            try (NvmeController c = NvmeController.open(vfio, at.group(), at.address(),
                    NvmeOptions.defaults().withCompletion(Completion.POLLED)); NvmeQueuePair q = c.queuePair()) {
                assertEquals(NvmePattern.BLOCK, q.read(0, 1).length, "polled still works");
            }
        }
    }

    private static long lostMsix(EmulatedBackend b, NvmeHost.Location at) {
        return b.inspect().devices().stream().filter(d -> d.pciAddress().equals(at.address())).findFirst()
                .orElseThrow().lostMsix();
    }
}
