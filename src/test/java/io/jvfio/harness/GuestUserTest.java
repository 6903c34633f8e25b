package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The run script of an unprivileged, two-JVM guest run (what the unprivileged guest stage boots). */
class GuestUserTest {
    private static final GuestUser USER = new GuestUser("jvfio", 1000, 1000, 131072);

    @Test
    void launchSetsTheLimitThenSuForTheWholeProcess() {
        assertEquals("( ulimit -l 131072 && exec su -s /bin/sh -c 'exec \"$JAVA\" -cp x Main' jvfio )",
                USER.launch("\"$JAVA\" -cp x Main"));
        assertEquals("echo 'jvfio:x:1000:1000:jvfio service user:/tmp:/bin/sh' >>/etc/passwd\n"
                + "echo 'jvfio:x:1000:' >>/etc/group\n", USER.passwdLines());
    }

    @Test
    void rootAndBadNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("root", 0, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("a b", 1000, 1000, 64));
        assertThrows(IllegalArgumentException.class, () -> new GuestUser("jvfio", 1000, 1000, -1));
    }

    @Test
    void twoJvmsAsTheUserWithRootStepsAroundThem() {
        GuestRun run = GuestTestRun.builder("two").classpath(List.of()).asUser(USER).setup("chown 1000 /dev/vfio/0")
                .selectPackage("p.one").systemProperty("k", "v")
                .then("chown 0 /dev/vfio/0", List.of("--select-class", "p.Two"), Map.of("k2", "v2")).build();
        String s = run.script();
        int setup = s.indexOf("chown 1000 /dev/vfio/0");
        int passwd = s.indexOf(">>/etc/passwd");
        int first = s.indexOf("--select-package p.one");
        int between = s.indexOf("chown 0 /dev/vfio/0");
        int second = s.indexOf("--select-class p.Two");
        assertTrue(setup >= 0 && setup < passwd && passwd < first && first < between && between < second, s);
        assertEquals(2, s.split("exec su -s /bin/sh", -1).length - 1, s);
        assertTrue(s.substring(between).contains("-Dk=v -Dk2=v2"), s);
        assertTrue(s.contains("r=$?; [ \"$rc\" -ne 0 ] || rc=$r") && s.strip().endsWith("exit $rc"), s);
    }

    @Test
    void withoutUserOrPhasesTheScriptIsTheSingleExecAsBefore() {
        String s = GuestTestRun.builder("one").classpath(List.of()).selectPackage("p").build().script();
        assertTrue(s.contains("\nexec \"$JAVA\"") && !s.contains("su ") && !s.contains("exit $rc"), s);
    }
}
