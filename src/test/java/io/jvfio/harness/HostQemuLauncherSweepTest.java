package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leftover sweep, with a stand-in "QEMU" (a sleeping shell named qemu-system-fake). */
class HostQemuLauncherSweepTest {
    @TempDir
    Path tmp;

    private Process fakeQemu(String id) throws Exception {
        Path bin = tmp.resolve("qemu-system-fake");
        Files.writeString(bin, "#!/bin/sh\nsleep 300\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new ProcessBuilder(List.of(bin.toString(), "-name", HostQemuLauncher.NAME_PREFIX + id)).start();
    }

    @Test
    void killsTheQemuOfADeadOwner_keepsALiveOnesRun() throws Exception {
        Path root = tmp.resolve("work");
        // a run of a dead JVM (pid 2^22-ish that does not exist)
        String deadId = "00000000-dead";
        Path dead = Files.createDirectories(root.resolve(deadId));
        Files.writeString(dead.resolve(RunDirectory.OWNER), "4194000 1\n");
        Process q = fakeQemu(deadId);
        Files.writeString(dead.resolve(RunDirectory.PIDFILE), q.pid() + "\n"); // as QEMU's -pidfile would
        // a live run (ours)
        RunDirectory live = RunDirectory.create(root);
        for (int i = 0; i < 50 && !HostQemuLauncher.cmdline(q.pid()).contains(deadId); i++) {
            Thread.sleep(20);
        }
        int killed = HostQemuLauncher.sweepLeftovers(root);
        assertTrue(q.waitFor(10, TimeUnit.SECONDS), "the leftover was killed");
        assertTrue(killed >= 1, "killed " + killed);
        assertFalse(Files.exists(dead), "the dead run's directory is gone");
        assertTrue(Files.exists(live.dir()), "a live run is untouched");
        live.close();
        assertFalse(Files.exists(live.dir()));
    }
}
