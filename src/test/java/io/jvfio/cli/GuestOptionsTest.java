package io.jvfio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvfio guest} and {@code jvfio images}: every bad command line stops before anything boots or builds. */
class GuestOptionsTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void aJar() throws Exception {
        System.setProperty("jvfio.jar", Files.writeString(tmp.resolve("jvfio-all.jar"), "jar").toString());
    }

    @AfterEach
    void noJar() {
        System.clearProperty("jvfio.jar");
    }

    static void fails(int status, String message, String... args) {
        CliTest.Result r = CliTest.jvfio(args);
        assertEquals(status, r.status(), r::err);
        assertTrue(r.err().contains(message), () -> "expected '" + message + "' in: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void needsExactlyOneThingToRun() {
        fails(2, "give either a jvfio command after -- or --shell-command", "guest");
        fails(2, "give either a jvfio command after -- or --shell-command", "guest", "--shell-command", "ls", "--", "info");
    }

    @Test
    void badDevicesPhbsMemoryAndLaunchersAreSyntaxErrors() {
        fails(2, "unknown kind 'gpu' (known: edu, nvme)", "guest", "--device", "gpu", "--", "info");
        fails(2, "nvme: needs image=FILE", "guest", "--device", "nvme", "--", "info");
        fails(2, "phbs must be 1..16", "guest", "--phbs", "0", "--", "info");
        fails(2, "memory must be a size like 2G", "guest", "--memory", "lots", "--", "info");
        fails(2, "unknown launcher 'vm'", "guest", "--launcher", "vm", "--", "info");
        fails(2, "unknown kernel '5.4'", "guest", "--kernel", "5.4", "--", "info");
        fails(2, "no such file or directory", "guest", "--ship", tmp.resolve("absent").toString(), "--", "info");
    }

    @Test
    void unknownKernelsAreSyntaxErrorsForImagesToo() {
        fails(2, "unknown kernel '5.4' (one of 6.12, newest, 6.1)", "images", "--kernel", "5.4");
    }

    @Test
    void helpNamesTheContract() {
        CliTest.Result r = CliTest.jvfio("guest", "--help");
        assertEquals(0, r.status());
        for (String o : new String[] {"--kernel", "--device", "--phbs", "--memory", "--ship", "--timeout", "--launcher",
            "--json", "--shell-command", "  123 ", "  124 ", "  125 "}) {
            assertTrue(r.out().contains(o), o);
        }
    }
}
