package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.harness.CommandResult;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.JvfioBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Any jvfio command in the guest, several per boot ({@link JvfioBatch}): {@code jvfio info} and two
 * scenarios run on the real kernel with the shaded jar, their step lines compared with the
 * scenarios' recorded kernel outputs ({@code scenarios/*.kernel.out}). One boot, host launcher.
 */
@Tag("guest")
class GuestCliTest {
    static final List<String> SCENARIOS = List.of("basic-v2", "basic-v1");

    @Test
    void jvfioCommandsInOneBoot() throws Exception {
        HostQemuLauncher launcher = new HostQemuLauncher();
        GuestMachine machine = GuestMachine.builder().timeout(Duration.ofSeconds(Long.getLong("jvfio.guest.timeout", 900)))
                .build();
        GuestImages images = GuestSupport.require(launcher, machine);
        Path jar = JvfioBatch.defaultJar();
        if (!Files.isRegularFile(jar)) {
            GuestSupport.unavailable("no shaded jar " + jar + ": run make build");
        }
        JvfioBatch batch = JvfioBatch.create().jar(jar).command("info", "info");
        for (String s : SCENARIOS) {
            String guestFile = batch.ship(GuestSupport.projectDir().resolve("scenarios/" + s + ".scn"));
            batch.command(s, "run", "--backend=kernel", guestFile);
        }
        GuestResult r = launcher.run(machine, images, batch.build("jvfio-cli"));
        Map<String, CommandResult> out = JvfioBatch.results(r);
        System.out.println("[guest] jvfio commands: " + out.size() + " in one boot, " + r.timing());
        assertEquals(List.of("info", "basic-v2", "basic-v1"), List.copyOf(out.keySet()), r.runOutput()::toString);
        assertEquals(0, out.get("info").exitStatus(), out.get("info")::output);
        assertTrue(out.get("info").output().contains("vfio"), out.get("info")::output);
        for (String s : SCENARIOS) {
            CommandResult c = out.get(s);
            Path golden = GuestSupport.projectDir().resolve("scenarios/" + s + ".kernel.out");
            List<String> steps = c.output().lines().filter(l -> l.matches("^\\d+: .*") || l.startsWith("MISMATCH")).toList();
            if (Files.isRegularFile(golden)) {
                assertEquals(Files.readAllLines(golden).stream().filter(l -> !l.isBlank()).toList(), steps,
                        () -> s + ": the guest kernel's output differs from " + golden + "\n" + c.output());
            }
            assertEquals(0, c.exitStatus(), () -> s + " exit status\n" + c.output());
        }
    }
}
