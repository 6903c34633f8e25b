package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.JvfioBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvfio guest} as a user runs it: the shaded jar alone, copied to a directory outside the
 * repository, started as its own process. Four boots: {@code info --json}, the edu demo, a guest that
 * hangs (it must end at its timeout with the console's tail) and one that panics (reported with the
 * kernel's lines); neither may leave a QEMU behind.
 */
@Tag("guest")
class GuestCommandTest {
    record Run(int status, String stdout, String stderr, long millis, Set<Long> qemuPids) {}

    @TempDir
    Path outside;

    Run jvfio(String... args) throws IOException, InterruptedException {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestSupport.require(launcher, GuestMachine.defaults());
        Path jar = JvfioBatch.defaultJar();
        if (!Files.isRegularFile(jar)) {
            GuestSupport.unavailable("no shaded jar " + jar + ": run make build");
        }
        Path copy = Files.copy(jar, outside.resolve("jvfio-all.jar"));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-jar", copy.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(outside.toFile())
                .redirectOutput(outside.resolve("out").toFile()).redirectError(outside.resolve("err").toFile());
        pb.environment().put("JVFIO_CACHE", GuestImages.cacheDir().toString());
        long t0 = System.nanoTime();
        Process p = pb.start();
        Set<Long> qemu = ConcurrentHashMap.newKeySet();
        try {
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                p.descendants().filter(h -> h.info().command().orElse("").contains("qemu-system")).forEach(h -> qemu.add(h.pid()));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Run(p.exitValue(), Files.readString(outside.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(outside.resolve("err"), StandardCharsets.UTF_8), (System.nanoTime() - t0) / 1_000_000, qemu);
    }

    @Test
    void infoJsonPrintsTheGuestsVfioState() throws Exception {
        Run r = jvfio("guest", "--", "info", "--json");
        assertEquals(0, r.status(), r::stderr);
        JsonNode info = new ObjectMapper().readTree(r.stdout());
        assertEquals(1, info.path("extensions").path("VFIO_SPAPR_TCE_v2_IOMMU").asInt(), r::stdout);
        assertTrue(info.path("backend").asText().startsWith("kernel"), r::stdout);
    }

    /** The 64 KiB-page flavour ({@code make test-guest-64k} runs it; {@code make test-guest} leaves it out). */
    @Test
    @org.junit.jupiter.api.Tag("guest-64k")
    void pageSize64k_bootsThe64kKernel() throws Exception {
        Run r = jvfio("guest", "--page-size", "64k", "--", "info", "--json");
        assertEquals(0, r.status(), r::stderr);
        JsonNode info = new ObjectMapper().readTree(r.stdout());
        assertTrue(info.path("kernel").path("release").asText().endsWith("-64k"), r::stdout);
        assertEquals(1, info.path("extensions").path("VFIO_SPAPR_TCE_v2_IOMMU").asInt(), r::stdout);
    }

    @Test
    void eduDemoEndsWithOk() throws Exception {
        Run r = jvfio("guest", "--device", "edu", "--", "demo");
        assertEquals(0, r.status(), () -> r.stdout() + r.stderr());
        List<String> lines = r.stdout().lines().filter(l -> !l.isBlank()).toList();
        assertEquals("demo: OK", lines.getLast(), r::stdout);
        assertFalse(Files.exists(outside.resolve("target")), "nothing is written where the user stands");
    }

    @Test
    void aHangingGuestEndsAtItsTimeoutWithTheConsoleTailAndNoQemuLeft() throws Exception {
        int timeout = 30;
        Run r = jvfio("guest", "--timeout", Integer.toString(timeout), "--shell-command", "echo about to hang; sleep 600");
        assertEquals(124, r.status(), () -> r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("did not finish within " + timeout + " s"), r::stderr);
        assertTrue(r.stderr().contains("about to hang"), () -> "the console's tail is printed:\n" + r.stderr());
        assertFalse(r.qemuPids().isEmpty(), "the run's QEMU was seen");
        for (long pid : r.qemuPids()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU " + pid + " outlived the run");
        }
        // the bound is the timeout plus the JVM's start and the kill, far from the 600 s the guest wanted
        assertTrue(r.millis() < (timeout + 60) * 1000L, () -> "took " + r.millis() + " ms");
    }

    @Test
    void aGuestKernelPanicIsReportedWithItsLinesAndNoQemuLeft() throws Exception {
        Run r = jvfio("guest", "--timeout", "120", "--shell-command", "echo c > /proc/sysrq-trigger");
        assertEquals(123, r.status(), () -> r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("Kernel panic - not syncing: sysrq triggered crash"), r::stderr);
        for (long pid : r.qemuPids()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU " + pid + " outlived the run");
        }
    }
}
