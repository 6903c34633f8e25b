package io.jvfio.guest;

import io.jvfio.driver.nvme.NvmePattern;
import io.jvfio.emul.Profile;
import io.jvfio.harness.DeviceSpec;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.ScenarioDiff;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The topology guest ({@code make test-topology}): one boot with four PHBs, edu on PHB 0 and PHB 1
 * (groups 0 and 1), a three-function edu on PHB 2 (group 2), as the emulator's
 * {@code qemu-pseries-topology} profile, and a two-function NVMe on PHB 3 (group 3), each function
 * with its own raw image on the host, as {@code qemu-pseries-topology-nvme}. The kernel rows of
 * {@code TopologyContractTest} and {@code NvmeMultiFunctionTest} run in it; after the guest exits the
 * host reads what each NVMe function wrote from its image. {@code -Djvfio.guest.kernel=newest} boots
 * the newest kernel instead of 6.12. Tagged {@code topology} only, so that {@code make test-guest}
 * does not boot it.
 */
@Tag("topology")
class GuestTopologyTest {
    /** The NVMe functions' namespaces, function 0 first. */
    static final List<Path> IMAGES = List.of(image(0), image(1));

    private static Path image(int function) {
        return GuestSupport.projectDir().resolve("target/guest-topology/nvme-f" + function + ".img").toAbsolutePath();
    }

    /**
     * The machine {@code jvfio diff} boots for {@code #% platform qemu-pseries-topology}, plus the NVMe
     * slot on PHB 3: function 1 first, function 0 last (as hot-plug needs), multifunction=on on each (QEMU 7.2).
     */
    static GuestMachine machine() {
        List<String> nvme = new ArrayList<>(List.of("-device", "spapr-pci-host-bridge,index=3,id=phb3"));
        for (int f : new int[] {1, 0}) {
            nvme.addAll(new DeviceSpec.Nvme(IMAGES.get(f), 3, f, true).qemuArgs("phb3.0"));
        }
        return ScenarioDiff.machineFor(Profile.QEMU_PSERIES_TOPOLOGY).toBuilder().extraArgs(nvme.toArray(String[]::new))
                .timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).build();
    }

    static GuestRun testRun(GuestImages images) {
        return GuestSupport.testRunBuilder("guest-topology", images).selectClass("io.jvfio.contract.TopologyContractTest")
                .selectClass("io.jvfio.driver.nvme.NvmeMultiFunctionTest").systemProperty("jvfio.backends", "kernel")
                .systemProperty("jvfio.contract.variants", "kernel").systemProperty("jvfio.nvme.scratch", "true")
                .excludeTag("bench").build();
    }

    @TestFactory
    Stream<DynamicNode> topologyInTheGuest() throws IOException {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = machine();
        GuestImages images = GuestSupport.require(launcher, machine);
        for (Path image : IMAGES) {
            Files.createDirectories(image.getParent());
            NvmePattern.createImage(image);
        }
        System.out.println("[guest] topology (kernel " + GuestSupport.kernel() + "): " + String.join(" ", machine.extraArgs()));
        List<DynamicNode> nodes = new ArrayList<>(GuestSuiteTest.nodes(GuestSuiteTest.boot(launcher, machine, testRun(images))).toList());
        for (int f = 0; f < IMAGES.size(); f++) {
            nodes.addAll(GuestNvmeTest.imageChecks(IMAGES.get(f), List.of(NvmePattern.perFunction(f))));
        }
        return nodes.stream();
    }
}
