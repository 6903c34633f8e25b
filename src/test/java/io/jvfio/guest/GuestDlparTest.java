package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestTestCase;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * DLPAR on the real kernel ({@code make test-dlpar}, once per kernel with {@code -Djvfio.guest.kernel}):
 * one boot with an empty PHB 1, QMP, and the guest's DLPAR userspace; the in-guest {@code DlparTest}
 * asks the host for {@code device_add} and {@code device_del} on its console (the host launcher relays
 * them to QMP) and runs the SPAPR sequence on the hot-added edu, then holds and maps it while it is
 * removed. Host launcher only: the Testcontainers launcher has no QMP socket on the host side.
 */
@Tag("dlpar") // its own make target, not test-guest's (surefire.groups=guest)
class GuestDlparTest {
    static final String IN_GUEST = "io.jvfio.guest.dlpar.DlparTest";

    static GuestMachine machine() {
        return GuestMachine.builder().hotplugPhb(1)
                .timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900))).build();
    }

    static GuestRun testRun(GuestImages images) {
        GuestTestRun.Builder b = GuestTestRun.builder("guest-dlpar");
        if (!Boolean.getBoolean("jvfio.guest.noCds")) {
            b.cds(images);
        }
        return b.selectClass(IN_GUEST).systemProperty("jvfio.backends", "kernel")
                .systemProperty("jvfio.contract.variants", "kernel").build();
    }

    @TestFactory
    Stream<DynamicNode> dlparInTheGuest() {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = machine();
        GuestImages images = GuestSupport.require(launcher, machine);
        System.out.println("[guest] dlpar: kernel " + GuestSupport.kernel() + ", " + String.join(" ", machine.extraArgs()));
        GuestSuiteTest.Outcome o = GuestSuiteTest.boot(launcher, machine, testRun(images));
        if (o.result() != null) { // what the guest measured (docs/dlpar.md quotes these)
            o.result().console().lines().filter(l -> l.contains("[dlpar] ") || l.contains("RTAS: event")
                    || l.contains("vfio-pci " + "0001:00:00.0")).forEach(l -> System.out.println("[guest] " + l.strip()));
        }
        List<DynamicNode> nodes = new ArrayList<>(GuestSuiteTest.nodes(o).toList());
        // a skipped DLPAR test would hide a guest that never got the device: both must have passed
        nodes.add(DynamicTest.dynamicTest("both DLPAR tests passed in the guest", () -> assertEquals(2,
                o.tests().tests().stream().filter(c -> c.className().equals(IN_GUEST) && !c.failed() && !c.skipped()).count(),
                () -> "passed DLPAR tests among " + o.tests().tests().stream().map(GuestTestCase::name).toList())));
        return nodes.stream();
    }
}
