package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.contract.UnprivilegedStage;
import io.jvfio.driver.nvme.NvmePattern;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestTestCase;
import io.jvfio.harness.GuestTestResults;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.GuestUser;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.guest.GuestTestMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The unprivileged guest stage ({@code make test-unprivileged}): one boot of the NVMe guest (edu in
 * group 0, QEMU's nvme in group 1) in which the in-guest JVMs run as a service user (uid 1000, no
 * capabilities) under an {@code RLIMIT_MEMLOCK} of 128 MiB, below the 1 GiB a v1 ENABLE charges, so
 * those steps must fail ENOMEM while the rest pass. {@code /dev/vfio/vfio} is 0666 as distributions
 * ship it; the group nodes are chowned to the user as a udev rule would.
 *
 * <ol>
 *   <li>the contract suite (kernel variant) and the edu DMA tests, owning group 0, with group 1's node
 *       moved aside (their machine has no group 1);</li>
 *   <li>the NVMe driver tests and {@code UnprivilegedStageTest} owning only the controller's group 1:
 *       group 0 is root's 0600 again, so its open is EACCES.</li>
 * </ol>
 * The same two selections then run on the host on the emulated backend ({@code emulated-ppc64le})
 * under the same {@link UnprivilegedStage}, and every test's outcome must be the kernel's.
 * {@code -Djvfio.guest} applies as to the other guest tests.
 */
@Tag("unprivileged") // its own make target, not test-guest's (surefire.groups=guest)
class GuestUnprivilegedTest {
    static final GuestUser USER = new GuestUser("jvfio", 1000, 1000, 128 << 10);
    static final Path DIR = GuestSupport.projectDir().resolve("target/unprivileged").toAbsolutePath();
    static final Path IMAGE = DIR.resolve("nvme.img");
    static final List<String> SUITE = List.of("--select-package", "io.jvfio.contract", "--select-package", "io.jvfio.guest.dma");
    /** The second JVM: the NVMe driver, and the stage's checks that need group 0 to be root's. */
    static final List<String> NVME = List.of("--select-class", "io.jvfio.driver.nvme.NvmeDriverTest",
            "--select-method", "io.jvfio.contract.UnprivilegedStageTest#theProcessIsTheServiceUserWithoutCapabilities(io.jvfio.contract.Fixture)",
            "--select-method", "io.jvfio.contract.UnprivilegedStageTest#groupNodeOfRoot_EACCES_adviceNamesTheUdevRuleAndChown(io.jvfio.contract.Fixture)");
    static final List<String> EXCLUDED = List.of("--exclude-tag", "emulator-only", "--exclude-tag", "bench",
            "--exclude-tag", "guest");

    static UnprivilegedStage stage(String groups) {
        return new UnprivilegedStage(USER.uid(), USER.gid(), USER.memlockKiB() << 10,
                Arrays.stream(groups.split(",")).map(Integer::valueOf).toList());
    }

    static Map<String, String> props(UnprivilegedStage s, String variant) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("jvfio.backends", variant);
        p.put("jvfio.contract.variants", variant);
        p.put("jvfio.nvme.scratch", "true");
        p.put("jvfio.nvme.hostPattern", "true");
        for (String[] kv : s.properties()) {
            p.put(kv[0], kv[1]);
        }
        return p;
    }

    static List<String> args(List<String> selection) {
        List<String> a = new ArrayList<>(selection);
        a.addAll(EXCLUDED);
        return a;
    }

    /** Root's shell before the first JVM: the nodes as a udev rule and the suite's machine have them. */
    static final String SETUP = """
            chmod 0666 /dev/vfio/vfio
            [ -c /dev/vfio/1 ] || { echo "[stage] no /dev/vfio/1: the NVMe controller's group is missing"; exit 4; }
            mkdir -p /tmp/.vfio-aside && mv /dev/vfio/1 /tmp/.vfio-aside/1
            chown 1000:1000 /dev/vfio/0 && chmod 0600 /dev/vfio/0
            echo "[stage] contract and edu as uid 1000 (ulimit -l %d):" $(ls -ln /dev/vfio | sed 1d | awk '{print $3":"$4, $1, $NF}')
            """.formatted(USER.memlockKiB());
    static final String BETWEEN = """
            mv /tmp/.vfio-aside/1 /dev/vfio/1 && chown 1000:1000 /dev/vfio/1 && chmod 0600 /dev/vfio/1
            chown 0:0 /dev/vfio/0 && chmod 0600 /dev/vfio/0
            echo "[stage] NVMe as uid 1000, group 0 back to root:" $(ls -ln /dev/vfio | sed 1d | awk '{print $3":"$4, $1, $NF}')
            """;

    static GuestRun run(GuestImages images) {
        GuestTestRun.Builder b = GuestTestRun.builder("guest-unprivileged").asUser(USER).setup(SETUP);
        if (!Boolean.getBoolean("jvfio.guest.noCds")) {
            b.cds(images);
        }
        props(stage("0,1"), "kernel").forEach(b::systemProperty);
        for (int i = 0; i < SUITE.size(); i += 2) {
            b.selectPackage(SUITE.get(i + 1));
        }
        EXCLUDED.stream().filter(a -> !a.startsWith("--")).forEach(b::excludeTag);
        // RegisterContractTest's leaks-mm-region test (GuestSuiteTest says why)
        b.tolerateKernelMessage("WARNING: .* at arch/powerpc/mm/book3s64/mmu_context\\.c:\\d+ destroy_context");
        return b.then(BETWEEN, args(NVME), Map.of(UnprivilegedStage.GROUPS, "1")).build();
    }

    /** The same selection on the host's emulator under the same stage: GuestTestMain in a JVM of its own. */
    static List<GuestTestCase> emulated(List<String> selection, UnprivilegedStage s) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", String.join(java.io.File.pathSeparator,
                        GuestTestRun.hostClasspath().stream().map(Path::toString).toList())));
        props(s, "emulated-ppc64le").forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add(GuestTestMain.class.getName());
        cmd.addAll(args(selection));
        Path log = DIR.resolve("emulated-" + String.join("-", s.groups().stream().map(String::valueOf).toList()) + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc = p.waitFor();
        List<String> lines = Files.readAllLines(log);
        if (lines.stream().noneMatch(l -> l.startsWith(GuestTestMain.SUMMARY_PREFIX))) {
            throw new IllegalStateException("the emulated run ended without its summary (exit status " + rc + "): see " + log);
        }
        return GuestTestResults.parseTests(lines);
    }

    @TestFactory
    Stream<DynamicNode> unprivilegedStage() throws Exception {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = GuestNvmeTest.machine(IMAGE);
        GuestImages images = GuestSupport.require(launcher, machine);
        Files.createDirectories(DIR);
        NvmePattern.createImage(IMAGE);
        long t0 = System.nanoTime();
        GuestSuiteTest.Outcome o = GuestSuiteTest.boot(launcher, machine, run(images));
        double guestSecs = (System.nanoTime() - t0) / 1e9;
        List<GuestTestCase> kernel = o.tests().tests();
        List<GuestTestCase> emulated = new ArrayList<>(emulated(SUITE, stage("0,1")));
        emulated.addAll(emulated(NVME, stage("1")));
        StageComparison cmp = StageComparison.of(kernel, emulated);
        String where = "(uid " + USER.uid() + ", memlock " + USER.memlockKiB() + " KiB)";
        List<String> report = new ArrayList<>();
        report.add(String.format("[test] unprivileged guest stage: %s %s, boot %.0f s; of the skipped, %d ended at an"
                + " asserted ENOMEM, %d at an asserted EACCES", counts(kernel), where, guestSecs, asserted(kernel, "ENOMEM"),
                asserted(kernel, "EACCES")));
        report.add("[test] unprivileged stage on the emulator (same uid, limit and nodes): " + counts(emulated) + " " + where);
        report.addAll(cmp.lines());
        report.forEach(System.out::println);
        Files.write(DIR.resolve("summary.txt"), report);
        Files.write(DIR.resolve("outcomes.txt"), cmp.table());

        List<DynamicNode> nodes = new ArrayList<>(GuestSuiteTest.nodes(o).toList());
        nodes.add(DynamicTest.dynamicTest("both guest JVMs ran to their summary", () -> assertEquals(2,
                o.result().lines().stream().filter(l -> l.text().contains(GuestTestMain.SUMMARY_PREFIX)).count(),
                o.result().runOutput()::toString)));
        nodes.add(DynamicTest.dynamicTest("some steps failed ENOMEM at the limit", () -> assertTrue(kernel.stream()
                .anyMatch(c -> asserted(List.of(c), "ENOMEM") > 0),
                "no step met the limit: the stage's limit must make some fail")));
        nodes.add(DynamicTest.dynamicTest("the emulator under the same stage: no failures", () -> assertTrue(
                emulated.stream().noneMatch(GuestTestCase::failed), () -> String.join("\n", cmp.failures(emulated)))));
        nodes.add(DynamicTest.dynamicTest("the emulator's outcomes are the kernel's", () -> assertTrue(
                cmp.differing().isEmpty(), () -> String.join("\n", cmp.differing()))));
        nodes.addAll(GuestNvmeTest.imageChecks(IMAGE, GuestNvmeTest.guestWritten()));
        return nodes.stream();
    }

    /** Tests that asserted {@code errno} at a step and then ended skipped by the stage. */
    static long asserted(List<GuestTestCase> tests, String errno) {
        return tests.stream().filter(c -> c.skipped() && c.reason() != null && c.reason().contains("failed " + errno + " as it must")).count();
    }

    static String counts(List<GuestTestCase> tests) {
        return tests.stream().filter(GuestTestCase::passed).count() + " passed, "
                + tests.stream().filter(GuestTestCase::failed).count() + " failed, "
                + tests.stream().filter(GuestTestCase::skipped).count() + " skipped";
    }
}
