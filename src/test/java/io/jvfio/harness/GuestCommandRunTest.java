package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvfio guest}'s run: what is shipped, the script, and stdout/stderr apart again. */
class GuestCommandRunTest {
    @Test
    void shipsTheJarTheFilesAndAJvfioLauncher(@TempDir Path tmp) throws Exception {
        Path jar = Files.writeString(tmp.resolve("x.jar"), "jar");
        Path scn = Files.writeString(tmp.resolve("my.scn"), "OPEN\n");
        Path dir = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(dir.resolve("a.bin"), "a");
        GuestRun run = GuestCommandRun.jvfio(jar, List.of(scn, dir), List.of("run", "my.scn", "it's"));
        assertEquals(List.of(GuestCommandRun.JAR, "my.scn", "data/a.bin", ".bin/jvfio"), run.guestPaths());
        assertTrue(run.script().contains("jvfio run my.scn 'it'\\''s' </dev/null 2>/tmp/jvfio-stderr"), run.script());
        GuestRun sh = GuestCommandRun.shell(jar, List.of(), "echo $JAVA; jvfio info");
        assertTrue(sh.script().contains("sh -c 'echo $JAVA; jvfio info'"), sh.script());
    }

    @Test
    void refusesNamesTakenInTheWorkingDirectory(@TempDir Path tmp) throws Exception {
        Path jar = Files.writeString(tmp.resolve("x.jar"), "jar");
        Path clash = Files.writeString(tmp.resolve(GuestCommandRun.JAR), "other");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GuestCommandRun.jvfio(jar, List.of(clash), List.of("info")))
                .getMessage().contains("is taken"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> GuestCommandRun.jvfio(jar, List.of(tmp.resolve("absent")), List.of("info"))).getMessage()
                .contains("no such file"));
    }

    @Test
    void splitsStdoutStderrAndTheStatus() {
        GuestResult r = GuestResultTest.result(String.join("\r\n", "[init] t=4.68 run",
                "@@JVFIO-CMD-BEGIN stdout", "line 1", "no newline@@JVFIO-CMD-END stdout rc=3",
                "@@JVFIO-CMD-BEGIN stderr", "oops", "@@JVFIO-CMD-END stderr rc=0", "", "JVFIO-EXIT: 3",
                "JVFIO-DMESG-BEGIN", "JVFIO-DMESG-END", ""));
        GuestCommandRun.Output o = GuestCommandRun.output(r);
        assertEquals(new GuestCommandRun.Output(3, "line 1\nno newline\n", "oops\n"), o);
    }
}
