package io.jvfio.guest;

import io.jvfio.emul.Profile;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.ScenarioDiff;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The topology guest ({@code make test-topology}): one boot with three PHBs, edu on PHB 0 and PHB 1
 * (groups 0 and 1) and a three-function edu on PHB 2 (group 2), as the emulator's
 * {@code qemu-pseries-topology} profile; the kernel row of {@code TopologyContractTest} runs in it.
 * {@code -Djvfio.guest.kernel=newest} boots the newest kernel instead of 6.12. Tagged {@code topology}
 * only, so that {@code make test-guest} does not boot it.
 */
@Tag("topology")
class GuestTopologyTest {
    /** The machine {@code jvfio diff} boots for {@code #% platform qemu-pseries-topology}: one definition. */
    static GuestMachine machine() {
        return ScenarioDiff.machineFor(Profile.QEMU_PSERIES_TOPOLOGY).toBuilder()
                .timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).build();
    }

    static GuestRun testRun(GuestImages images) {
        return GuestSupport.testRunBuilder("guest-topology", images).selectClass("io.jvfio.contract.TopologyContractTest").systemProperty("jvfio.backends", "kernel")
                .systemProperty("jvfio.contract.variants", "kernel").excludeTag("bench").build();
    }

    @TestFactory
    Stream<DynamicNode> topologyInTheGuest() {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = machine();
        GuestImages images = GuestSupport.require(launcher, machine);
        System.out.println("[guest] topology (kernel " + GuestSupport.kernel() + "): " + String.join(" ", machine.extraArgs()));
        return GuestSuiteTest.nodes(GuestSuiteTest.boot(launcher, machine, testRun(images)));
    }
}
