package io.jvfio.guest;

import io.jvfio.harness.DeviceSpec;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestSetup;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.time.Duration;
import java.util.List;
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
    /**
     * The devices, in QEMU's order: functions above 0 first, function 0 last (what hot-plug needs, and
     * harmless cold); QEMU 7.2 wants {@code multifunction=on} on every function of the slot.
     */
    static final List<String> DEVICES = List.of("edu,phb=0", "edu,phb=1",
            "edu,phb=2,function=1,multifunction=on", "edu,phb=2,function=2,multifunction=on",
            "edu,phb=2,function=0,multifunction=on");

    static GuestMachine machine() {
        return new GuestSetup(GuestSupport.kernel(), DEVICES.stream().map(DeviceSpec::parse).toList(), 3, "2G",
                Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).machine();
    }

    static GuestRun testRun(GuestImages images) {
        GuestTestRun.Builder b = GuestTestRun.builder("guest-topology");
        if (!Boolean.getBoolean("jvfio.guest.noCds")) {
            b.cds(images);
        }
        return b.selectClass("io.jvfio.contract.TopologyContractTest").systemProperty("jvfio.backends", "kernel")
                .systemProperty("jvfio.contract.variants", "kernel").excludeTag("bench").build();
    }

    @TestFactory
    Stream<DynamicNode> topologyInTheGuest() {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = machine();
        GuestImages images = GuestSupport.require(launcher, machine);
        System.out.println("[guest] topology (kernel " + GuestSupport.kernel() + "): " + String.join(" ", DEVICES));
        return GuestSuiteTest.nodes(GuestSuiteTest.boot(launcher, machine, testRun(images)));
    }
}
