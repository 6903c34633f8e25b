package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.harness.guest.GuestTestMainAccess;
import io.jvfio.harness.guest.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestTestMainTest {
    @Test
    void jsonEscapesToAscii() {
        assertEquals("\"a\\\"b\\\\c\\n\\t\\u0001\\u00e9\\u2028\"", Json.quote("a\"b\\c\n\t\u0001é\u2028"));
        assertEquals("{\"k\":\"v\",\"n\":null,\"ms\":5}", new Json().put("k", "v").put("n", null).put("ms", 5).toString());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> GuestTestMainAccess.parse("--frobnicate", "x"));
        assertThrows(IllegalArgumentException.class, () -> GuestTestMainAccess.parse("--include-tag", "x"));
    }

    /** Runs a real JUnit selection in-process and reads its lines back with the host parser. */
    @Test
    void reportsEachTestAndASummary() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc = GuestTestMainAccess.run(new PrintStream(buf, true, StandardCharsets.UTF_8), "--select-class",
                SampleFixtures.class.getName(), "-Djvfio.test.sample=on");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, rc, out);
        assertTrue(out.contains("@@JVFIO-SUMMARY passed=2 failed=1 skipped=2 "), out);
        ConsoleCapture cap = new ConsoleCapture(System.nanoTime(), null);
        byte[] b = ("[init] t=1 run\n" + out + "\nJVFIO-EXIT: 1\n").getBytes(StandardCharsets.UTF_8);
        cap.feed(b, 0, b.length);
        GuestResult r = GuestResult.parse("x", "y", List.of(), cap.lines(), "", 0, false, Duration.ZERO);
        GuestTestResults t = GuestTestResults.parse(r);
        assertEquals(5, t.tests().size(), out);
        assertEquals(2, t.passed());
        assertEquals(1, t.failed());
        GuestTestCase failed = t.tests().stream().filter(GuestTestCase::failed).findFirst().orElseThrow();
        assertTrue(failed.reason().contains("expected: <1> but was: <2>"), failed.reason());
        assertTrue(failed.trace().contains("SampleFixtures"), failed.trace());
        assertTrue(t.tests().stream().anyMatch(c -> c.name().equals("param(int) [1] 7")), t.tests().toString());
        assertTrue(t.tests().stream().anyMatch(c -> c.status().equals("ABORTED") && c.reason().contains("nope")));
        assertTrue(t.tests().stream().anyMatch(c -> c.status().equals("SKIPPED") && "off".equals(c.reason())));
        assertEquals(1, out.lines().filter(l -> l.startsWith("@@JVFIO-FIRST-TEST ")).count(), "one first-test line");
        assertTrue(t.firstTestStartAt() != null, "the first-test milestone is parsed");
    }

    /** {@code --discover}: the AOT cache's training loads a class's tests without running one of them. */
    @Test
    void discoverOnlyRunsNothing() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc = GuestTestMainAccess.run(new PrintStream(buf, true, StandardCharsets.UTF_8), "--select-class",
                "io.jvfio.harness.guest.Warmup", "--discover", SampleFixtures.class.getName(), "--discover",
                "no.such.Clazz", "-Djvfio.test.sample=on");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        // SampleFixtures runs five tests, one of them an invocation of a parameterized test, which is a
        // container until it runs; the missing class is only logged
        assertTrue(out.contains("@@JVFIO-DISCOVERED tests=4"), out);
        assertTrue(out.contains("not discovered: ") && out.contains("no.such.Clazz"), out);
        assertTrue(out.lines().noneMatch(l -> l.contains("SampleFixtures") && l.startsWith("@@JVFIO-TEST ")), out);
        assertTrue(out.lines().anyMatch(l -> l.contains("ffmDowncalls") && l.contains("SUCCESSFUL")), out);
    }
}
