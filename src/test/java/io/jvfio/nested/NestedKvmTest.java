package io.jvfio.nested;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestTestCase;
import io.jvfio.harness.GuestTestResults;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.nested.L1Kernel;
import io.jvfio.harness.nested.NestedLauncher;
import io.jvfio.harness.nested.NestedMachine;
import io.jvfio.harness.nested.NestedOutcome;
import io.jvfio.harness.nested.NestedResult;
import io.jvfio.harness.nested.SpaprOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The RFC series' own test, in software: L0 (TCG, nested HV) -> L1 (64K kernel, KVM, QEMU) -> L2 (4K
 * kernel, the edu passed through with VFIO SPAPR TCE), with jvfio's in-guest tests running in L2.
 * Each L2 test becomes a dynamic test here; the run itself is one more ({@code nested run}), which
 * fails with the one-line reason. A JUnit XML of the L2 results goes to
 * {@code target/nested-reports/nested.xml}, the report to {@code target/nested-reports/summary.txt}.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code jvfio.nested} = {@code auto} (default: skip visibly when the images are missing),
 *       {@code required} (fail instead), {@code off};</li>
 *   <li>{@code jvfio.nested.l1Kernel} = {@code 64k} (default) or {@code 4k} (the broken L1, with QEMU's
 *       default 1 GiB L2 window unless {@code jvfio.nested.dmaWinSize} says otherwise);</li>
 *   <li>{@code jvfio.nested.dmaWinSize} (bytes, e.g. 0x1000000), {@code jvfio.nested.timeout} and
 *       {@code jvfio.nested.l2Timeout} (seconds);</li>
 *   <li>{@code jvfio.nested.select}: comma list of packages or classes to run in L2 (default
 *       {@value #DEFAULT_SELECTION_TEXT});</li>
 *   <li>{@code jvfio.nested.cost=true}: also run the cost measurement in L2;</li>
 *   <li>{@code jvfio.nested.quiet=true}: do not print the report (it is in summary.txt);</li>
 *   <li>{@code jvfio.nested.failurePaths=true}: also prove the failure paths (no nested HV in L0,
 *       and the 4K-page L1), one extra boot each.</li>
 * </ul>
 * Tagged {@code nested}: {@code make test-nested} (scripts/test-nested.sh) selects it.
 */
@Tag("nested")
class NestedKvmTest {
    /**
     * The edu DMA tests, L2's own checks, and the contract suite's kernel variant except
     * WindowContractTest: its windows (up to 1 TiB) would each cost L1's QEMU hours of host TCEs to
     * mirror and tear down under nested TCG (docs/nested-kvm.md, cost model).
     */
    static final String DEFAULT_SELECTION_TEXT = "io.jvfio.guest.dma,io.jvfio.nested.l2,"
            + "io.jvfio.contract.GroupContractTest,io.jvfio.contract.DeviceContractTest,"
            + "io.jvfio.contract.ContainerContractTest,io.jvfio.contract.TceInfoContractTest,"
            + "io.jvfio.contract.RegisterContractTest,io.jvfio.contract.MapContractTest,"
            + "io.jvfio.contract.V1ContractTest";
    static final Path REPORT_DIR = projectDir().resolve("target/nested-reports");
    /** The reason a 4K-page L1 must give (l1-run.sh prints it; the docs quote it). */
    static final String BROKEN_L1_REASON = "QEMU in L1 failed to create a SPAPR window: the 4K-page L1 kernel makes QEMU"
            + " ask for 2-level TCE tables, which pSeries refuses";

    static Path projectDir() {
        return Path.of(System.getProperty("jvfio.project.dir", "."));
    }

    static String mode() {
        return System.getProperty("jvfio.nested", "auto").strip().toLowerCase(Locale.ROOT);
    }

    /** The machine the properties describe. */
    static NestedMachine machine() {
        L1Kernel k = L1Kernel.parse(System.getProperty("jvfio.nested.l1Kernel", "64k"));
        NestedMachine.Builder b = NestedMachine.builder().l1Kernel(k);
        String win = System.getProperty("jvfio.nested.dmaWinSize", "");
        if (!win.isBlank()) {
            b.dmaWindowSize(Long.decode(win.strip()));
        } else if (k == L1Kernel.K4) {
            b.clearL2PhbGlobal("dma_win_size"); // QEMU's default 1 GiB: more than one TCE-table level on a 4K L1
        }
        Long t = Long.getLong("jvfio.nested.timeout");
        if (t != null) {
            b.timeout(Duration.ofSeconds(t));
        }
        Long l2t = Long.getLong("jvfio.nested.l2Timeout");
        if (l2t != null) {
            b.l2Timeout(Duration.ofSeconds(l2t));
        }
        return b.build();
    }

    /** What L2 runs: the selected packages/classes with GuestTestMain, the kernel backend only. */
    static GuestRun l2Run(NestedMachine m, String name) {
        // the JUnit classes from a CDS archive (the 4K L2 maps the 4K-aligned archive): class loading
        // and verification are what L2's JVM spends most of its start on under nested TCG
        GuestTestRun.Builder b = GuestTestRun.builder(name).cds(GuestImages.at(GuestImages.defaultDir()));
        String select = System.getProperty("jvfio.nested.select", "");
        List<String> selection = Arrays.stream((select.isBlank() ? DEFAULT_SELECTION_TEXT : select).split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
        for (String s : selection) {
            if (Character.isUpperCase(s.charAt(s.lastIndexOf('.') + 1))) {
                b.selectClass(s);
            } else {
                b.selectPackage(s);
            }
        }
        if (Boolean.getBoolean("jvfio.nested.cost")) {
            b.systemProperty("jvfio.nested.l2.cost", "true");
            if (!selection.contains("io.jvfio.nested.l2") && !selection.contains("io.jvfio.nested.l2.NestedCostTest")) {
                b.selectClass("io.jvfio.nested.l2.NestedCostTest");
            }
        }
        long win = m.dmaWindowSize();
        return b.systemProperty("jvfio.backends", "kernel").systemProperty("jvfio.contract.variants", "kernel")
                .systemProperty("jvfio.nested.l2.dmaWinSize", "0x" + Long.toHexString(win < 0 ? 1L << 30 : win))
                .excludeTag("emulator-only").excludeTag("bench").excludeTag("guest").excludeTag("nested")
                .excludeTag(io.jvfio.contract.Fixture.LEAKS_MM_REGION)
                .build();
    }

    /** Skips (auto) or fails (required) with the reason, printed so a skip is never silent. */
    static NestedLauncher launcherOrSkip(NestedMachine m) {
        if (mode().equals("off") || mode().equals("false")) {
            Assumptions.abort("nested tests are off (-Djvfio.nested=" + mode() + ")");
        }
        NestedLauncher launcher = new NestedLauncher();
        Optional<String> why = launcher.unavailableReason(m);
        if (why.isPresent()) {
            String msg = "nested KVM tests cannot run: " + why.get();
            System.err.println("[nested] " + (mode().equals("required") ? "FAIL" : "SKIPPED") + ": " + msg);
            if (mode().equals("required")) {
                fail(msg + " (-Djvfio.nested=required)");
            }
            Assumptions.abort(msg + " (-Djvfio.nested=required would fail)");
        }
        return launcher;
    }

    @TestFactory
    Stream<DynamicNode> l2Tests() throws IOException {
        NestedMachine m = machine();
        NestedLauncher launcher = launcherOrSkip(m);
        GuestRun run = l2Run(m, "nested-l2");
        System.out.printf("[nested] L0 -> L1 (%s kernel) -> L2 (default window %s), shipping %.1f MB to L2%n",
                m.l1Kernel().id(), m.l2PhbGlobals().getOrDefault("dma_win_size", "QEMU default"), run.payloadBytes() / 1e6);
        long t0 = System.nanoTime();
        NestedResult r = launcher.run(m, run);
        double wall = (System.nanoTime() - t0) / 1e9;
        String report = r.report() + String.format(Locale.ROOT, "%n  whole run as seen by the test: %.1f s", wall);
        writeReports(r, report);
        if (!Boolean.getBoolean("jvfio.nested.quiet")) { // scripts/test-nested.sh prints summary.txt itself
            System.out.println(report);
            costLines(r).forEach(l -> System.out.println("  " + l));
        }

        List<DynamicNode> nodes = new ArrayList<>();
        for (GuestTestCase c : r.tests().tests()) {
            nodes.add(DynamicTest.dynamicTest("L2: " + c.displayName(), () -> {
                if (c.skipped()) {
                    Assumptions.abort("skipped in L2: " + c.reason());
                }
                if (c.failed()) {
                    fail("failed in L2: " + c.reason() + (c.trace() == null ? "" : "\n" + c.trace()));
                }
            }));
        }
        nodes.add(DynamicTest.dynamicTest("nested run", () -> {
            if (!r.passed()) {
                fail("NESTED-FAIL: " + r.reason() + "\n" + report);
            }
            assertTrue(r.tests().complete(), "L2 printed its test summary");
            assertTrue(r.first("create-window").isPresent(), "QEMU in L1 created a host window (trace)");
        }));
        return nodes.stream();
    }

    /** The 4K-page L1 with QEMU's default 1 GiB L2 window: fails fast and says why (not a hang). */
    @Test
    void brokenL1_4kKernel_failsWithTheReason() {
        Assumptions.assumeTrue(Boolean.getBoolean("jvfio.nested.failurePaths"), "opt-in: -Djvfio.nested.failurePaths=true");
        NestedMachine m = NestedMachine.builder().l1Kernel(L1Kernel.K4).clearL2PhbGlobal("dma_win_size")
                .timeout(Duration.ofSeconds(180)).l2Timeout(Duration.ofSeconds(120)).build();
        NestedResult r = launcherOrSkip(m).run(m, GuestRun.builder("broken-l1").script("echo 'L2 must not get here'").build());
        System.out.println(r.report());
        assertEquals(NestedOutcome.WINDOW_CREATE_FAILED, r.outcome(), r.verdictLine());
        assertTrue(r.reason().startsWith(BROKEN_L1_REASON), r.reason());
        assertTrue(r.timing().total().compareTo(Duration.ofSeconds(120)) < 0, "failed fast, no hang: " + r.timing());
        assertTrue(r.knownWarnings().stream().anyMatch(w -> w.contains("vfio.c:103")),
                "the known WARN of QEMU's early exit is reported as known: " + r.knownWarnings());
    }

    /** L0 without nested HV: L1's kvm-hv cannot load, and the run says so in one line. */
    @Test
    void noNestedHv_failsWithTheReason() {
        Assumptions.assumeTrue(Boolean.getBoolean("jvfio.nested.failurePaths"), "opt-in: -Djvfio.nested.failurePaths=true");
        NestedMachine m = NestedMachine.builder().nestedHv(false).timeout(Duration.ofSeconds(150)).build();
        NestedResult r = launcherOrSkip(m).run(m, GuestRun.builder("no-nested-hv").script("echo 'L2 must not get here'").build());
        System.out.println(r.report());
        assertEquals(NestedOutcome.NO_KVM, r.outcome(), r.verdictLine());
        assertTrue(r.reason().startsWith("L1 has no /dev/kvm ("), r.reason());
    }

    static List<String> costLines(NestedResult r) {
        return r.l2().lines().stream().map(l -> l.text()).filter(t -> t.startsWith("@@NESTED-")).toList();
    }

    static void writeReports(NestedResult r, String report) throws IOException {
        Files.createDirectories(REPORT_DIR);
        List<String[]> props = new ArrayList<>();
        props.add(new String[] {"l1-kernel", r.machine().l1Kernel().id()});
        props.add(new String[] {"l2-phb", r.machine().l2PhbGlobals().toString()});
        props.add(new String[] {"outcome", r.outcome().name()});
        props.add(new String[] {"timing", r.timing().toString()});
        for (SpaprOp o : r.ops()) {
            props.add(new String[] {"spapr-op", o.toString().strip()});
        }
        String error = r.passed() || r.outcome() == NestedOutcome.TEST_FAILED ? null : "NESTED-FAIL: " + r.reason();
        GuestTestResults.writeJUnitXml(REPORT_DIR.resolve("nested.xml"),
                List.of(new GuestTestResults.Suite("nested-L2", r.tests(), error, props)));
        StringBuilder s = new StringBuilder(report).append('\n');
        costLines(r).forEach(l -> s.append("  ").append(l).append('\n'));
        Files.writeString(REPORT_DIR.resolve("summary.txt"), s.toString());
        Files.writeString(REPORT_DIR.resolve("verdict.txt"), (r.passed() ? "OK" : "NESTED-FAIL: " + r.reason()) + "\n");
    }
}
