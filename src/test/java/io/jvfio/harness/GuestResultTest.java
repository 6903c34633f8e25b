package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class GuestResultTest {
    static final String CONSOLE = String.join("\r\n",
            "[    0.318165] WARNING: nvram corruption detected: 0-length partition",
            "[init] t=3.69",
            "[init] bound 0000:00:00.0 (1234:11e8) to vfio-pci, group 0",
            "[init] t=4.68 run",
            "[run] t=4.70 java",
            "@@JVFIO-START ms=1200",
            "@@JVFIO-TEST {\"uid\":\"[engine:junit-jupiter]/[class:a.B]/[method:t()]\",\"class\":\"a.B\",\"name\":\"t()\",\"status\":\"SUCCESSFUL\",\"reason\":null,\"ms\":5}",
            "noise@@JVFIO-TEST {\"uid\":\"u2\",\"class\":\"a.B\",\"name\":\"f()\",\"status\":\"FAILED\",\"reason\":\"boom \\\"q\\\"\\n2\",\"ms\":7,\"trace\":\"x\\n\\ty\"}",
            "@@JVFIO-TEST {\"uid\":\"u3\",\"class\":\"a.C\",\"name\":\"s()\",\"status\":\"ABORTED\",\"reason\":\"no vfio\",\"ms\":0}",
            "@@JVFIO-SUMMARY passed=1 failed=1 skipped=1 ms=1234",
            "",
            "JVFIO-EXIT: 1",
            "JVFIO-DMESG-BEGIN",
            "[    0.1] hello",
            "[    5.0] WARNING: CPU: 0 PID: 77 at drivers/vfio/vfio_iommu_spapr_tce.c:371 tce_iommu_release+0x1/0x2",
            "[    5.1] Call Trace:",
            "JVFIO-DMESG-END", "");

    static GuestResult result(String console) {
        ConsoleCapture cap = new ConsoleCapture(System.nanoTime(), null);
        byte[] b = console.getBytes(StandardCharsets.UTF_8);
        cap.feed(b, 0, 7);
        cap.feed(b, 7, b.length - 7);
        cap.finish();
        return GuestResult.parse("t", "test", List.of("qemu"), cap.lines(), "", 0, false, Duration.ofSeconds(9));
    }

    @Test
    void splitsTheConsoleByTheInitContract() {
        GuestResult r = result(CONSOLE);
        assertEquals(1, r.exitStatus());
        assertTrue(r.completed());
        assertEquals("[run] t=4.70 java", r.runOutput().getFirst());
        assertEquals("@@JVFIO-SUMMARY passed=1 failed=1 skipped=1 ms=1234", r.runOutput().getLast());
        assertEquals(3, r.dmesg().size());
        assertTrue(r.timing().init().isPresent());
        assertTrue(r.timing().runOutput().isPresent());
        assertTrue(r.timing().exitLine().isPresent());
    }

    @Test
    void kernelWarningsFailUnlessTolerated_benignNvramIgnored() {
        GuestResult r = result(CONSOLE);
        List<String> p = r.kernelProblems(List.of());
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().startsWith("[    5.0] WARNING: CPU: 0"));
        assertTrue(p.getFirst().contains("Call Trace"), "context lines follow");
        assertTrue(r.kernelProblems(List.of(Pattern.compile("tce_iommu_release"))).isEmpty());
    }

    @Test
    void withoutDmesgSection_printkLinesOfTheConsoleAreChecked() {
        GuestResult r = result("[init] t=1 run\n[   9.9] Oops: Kernel access of bad area, sig: 11\n"
                + "java says WARNING: not a kernel line\n");
        assertFalse(r.completed());
        List<String> p = r.kernelProblems(List.of());
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().contains("Oops"));
    }

    @Test
    void testResultsParse() {
        GuestTestResults t = GuestTestResults.parse(result(CONSOLE));
        assertEquals(3, t.tests().size());
        assertEquals(1, t.passed());
        assertEquals(1, t.failed());
        assertEquals(1, t.skipped());
        assertEquals(1234, t.guestMillis());
        GuestTestCase f = t.tests().get(1);
        assertEquals("boom \"q\"\n2", f.reason());
        assertEquals("x\n\ty", f.trace());
        assertEquals("B > f()", f.displayName());
        assertTrue(t.complete());
        assertTrue(t.firstTest().isPresent());
    }

    @Test
    void junitXml(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        GuestTestResults t = GuestTestResults.parse(result(CONSOLE));
        java.nio.file.Path f = tmp.resolve("r/guest.xml");
        GuestTestResults.writeJUnitXml(f, List.of(new GuestTestResults.Suite("guest-host", t, null,
                List.<String[]>of(new String[] {"launcher", "host"}))));
        String x = java.nio.file.Files.readString(f);
        assertTrue(x.contains("<testsuites name=\"jvfio guest\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""), x);
        assertTrue(x.contains("<failure message=\"boom &quot;q&quot;\n2\">x\n\ty</failure>"), x);
        // well-formed
        javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.toFile());
    }

    @Test
    void jvfioBatchSplitsCommandOutputs() {
        String console = "[init] t=1 run\n# x\n@@JVFIO-CMD-BEGIN a\nout a\nlast-no-newline@@JVFIO-CMD-END a rc=0\n"
                + "@@JVFIO-CMD-BEGIN b\nboom\n@@JVFIO-CMD-END b rc=3\n@@JVFIO-CMD-BEGIN c\npartial\n\nJVFIO-EXIT: 3\n";
        var m = JvfioBatch.results(result(console));
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
        assertEquals("out a\nlast-no-newline\n", m.get("a").output());
        assertEquals(0, m.get("a").exitStatus());
        assertEquals(3, m.get("b").exitStatus());
        assertEquals(-1, m.get("c").exitStatus());
    }

    @Test
    void jvfioBatchScriptQuotesArguments() {
        JvfioBatch b = JvfioBatch.create();
        String f = b.ship(java.nio.file.Path.of("/x/my file.scn"));
        assertEquals("files/my_file.scn", f);
        b.command("one", "run", f, "it's");
        String s = b.script();
        assertTrue(s.contains(" -jar jvfio-all.jar run files/my_file.scn 'it'\\''s' </dev/null 2>&1\n"), s);
        assertTrue(s.contains("echo \"@@JVFIO-CMD-END one rc=$rc\""), s);
    }
}
