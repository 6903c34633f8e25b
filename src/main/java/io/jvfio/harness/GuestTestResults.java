package io.jvfio.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvfio.harness.guest.GuestTestMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The in-guest test results of a run of {@link GuestTestMain}, read back from the console.
 *
 * @param tests every reported test, in order
 * @param summaryLine the {@code @@JVFIO-SUMMARY} line, or null when the guest JVM never got there
 * @param guestMillis the in-guest suite time from the summary (-1 without one)
 * @param mainAt when main() printed its start line (since QEMU start), or null
 * @param firstTestStartAt when the first test started (since QEMU start), or null
 * @param firstTestAt when the first test result arrived (since QEMU start), or null
 * @param lastTestAt when the summary (else the last result) arrived, or null
 */
public record GuestTestResults(List<GuestTestCase> tests, String summaryLine, long guestMillis, Duration mainAt,
        Duration firstTestStartAt, Duration firstTestAt, Duration lastTestAt) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MS = Pattern.compile("\\bms=(\\d+)");

    public GuestTestResults {
        tests = List.copyOf(tests);
    }

    /** Parses the {@code @@JVFIO-*} lines of {@code r}'s console (a malformed line becomes a FAILED entry). */
    public static GuestTestResults parse(GuestResult r) {
        List<GuestTestCase> tests = new ArrayList<>();
        String summary = null;
        Duration main = null;
        Duration firstStart = null;
        Duration first = null;
        Duration last = null;
        for (ConsoleLine l : r.lines()) {
            String t = l.text();
            int i;
            if (main == null && (i = t.indexOf(GuestTestMain.START_PREFIX)) >= 0) {
                main = Duration.ofMillis(l.atMillis());
            } else if (firstStart == null && t.contains(GuestTestMain.FIRST_TEST_PREFIX)) {
                firstStart = Duration.ofMillis(l.atMillis());
            } else if ((i = t.indexOf(GuestTestMain.TEST_PREFIX)) >= 0) {
                tests.add(parseTest(t.substring(i + GuestTestMain.TEST_PREFIX.length())));
                if (first == null) {
                    first = Duration.ofMillis(l.atMillis());
                }
                last = Duration.ofMillis(l.atMillis());
            } else if (summary == null && (i = t.indexOf(GuestTestMain.SUMMARY_PREFIX)) >= 0) {
                summary = t.substring(i).trim();
                last = Duration.ofMillis(l.atMillis());
            }
        }
        long ms = -1;
        if (summary != null) {
            Matcher m = MS.matcher(summary);
            if (m.find()) {
                ms = Long.parseLong(m.group(1));
            }
        }
        return new GuestTestResults(tests, summary, ms, main, firstStart, first, last);
    }

    /** The test records among {@code lines} (GuestTestMain's output read elsewhere than a guest's console, e.g. a host JVM). */
    public static List<GuestTestCase> parseTests(List<String> lines) {
        List<GuestTestCase> out = new ArrayList<>();
        for (String t : lines) {
            int i = t.indexOf(GuestTestMain.TEST_PREFIX);
            if (i >= 0) {
                out.add(parseTest(t.substring(i + GuestTestMain.TEST_PREFIX.length())));
            }
        }
        return out;
    }

    private static GuestTestCase parseTest(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            return new GuestTestCase(text(n, "uid"), text(n, "class"), text(n, "name"), text(n, "status"),
                    text(n, "reason"), text(n, "trace"), n.path("ms").asLong());
        } catch (IOException e) {
            return new GuestTestCase("malformed", "", "malformed result line", "FAILED",
                    "cannot parse " + json + ": " + e.getMessage(), null, 0);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    public long passed() {
        return tests.stream().filter(GuestTestCase::passed).count();
    }

    public long failed() {
        return tests.stream().filter(GuestTestCase::failed).count();
    }

    public long skipped() {
        return tests.stream().filter(GuestTestCase::skipped).count();
    }

    /** Whether the guest JVM printed its summary (it did not crash or hang before the end). */
    public boolean complete() {
        return summaryLine != null;
    }

    public Optional<Duration> firstTest() {
        return Optional.ofNullable(firstTestAt);
    }

    /** {@code in-guest tests: N passed, N failed, N skipped}. */
    public String countsLine() {
        return "in-guest tests: " + passed() + " passed, " + failed() + " failed, " + skipped() + " skipped";
    }

    /** The timing breakdown of a test run, one line per milestone. */
    public String timingReport(GuestResult r) {
        GuestTiming t = r.timing();
        StringBuilder b = new StringBuilder();
        b.append("  QEMU start -> /init:            ").append(GuestTiming.seconds(t.toInit())).append('\n');
        b.append("  QEMU start -> run script:       ").append(GuestTiming.seconds(t.toRunOutput())).append('\n');
        b.append("  QEMU start -> GuestTestMain:    ").append(GuestTiming.seconds(mainAt)).append('\n');
        b.append("  QEMU start -> first test start: ").append(GuestTiming.seconds(firstTestStartAt)).append('\n');
        b.append("  QEMU start -> first test done:  ").append(GuestTiming.seconds(firstTestAt)).append('\n');
        b.append("  in-guest suite (guest clock):   ")
                .append(guestMillis < 0 ? "-" : String.format("%.1f s", guestMillis / 1000.0)).append('\n');
        b.append("  QEMU start -> summary:          ").append(GuestTiming.seconds(lastTestAt)).append('\n');
        b.append("  QEMU start -> QEMU exit:        ").append(GuestTiming.seconds(t.total()));
        return b.toString();
    }

    /**
     * Writes {@code suites} as one JUnit XML file: a {@code testsuites} root with the totals
     * ({@code tests}, {@code failures}, {@code errors}, {@code skipped}, {@code time}) and one
     * {@code testsuite} per entry, one {@code testcase} per test.
     */
    public static void writeJUnitXml(Path file, List<Suite> suites) throws IOException {
        long tests = 0;
        long failures = 0;
        long skipped = 0;
        long errors = 0;
        double time = 0;
        StringBuilder body = new StringBuilder();
        for (Suite s : suites) {
            GuestTestResults res = s.results();
            long sTests = res.tests().size() + (s.error() == null ? 0 : 1);
            long sErrors = s.error() == null ? 0 : 1;
            double sTime = res.tests().stream().mapToLong(GuestTestCase::millis).sum() / 1000.0;
            tests += sTests;
            failures += res.failed();
            skipped += res.skipped();
            errors += sErrors;
            time += sTime;
            body.append("  <testsuite name=\"").append(xml(s.name())).append("\" tests=\"").append(sTests)
                    .append("\" failures=\"").append(res.failed()).append("\" errors=\"").append(sErrors)
                    .append("\" skipped=\"").append(res.skipped()).append("\" time=\"").append(secs(sTime))
                    .append("\">\n");
            if (!s.properties().isEmpty()) {
                body.append("    <properties>\n");
                s.properties().forEach(p -> body.append("      <property name=\"").append(xml(p[0]))
                        .append("\" value=\"").append(xml(p[1])).append("\"/>\n"));
                body.append("    </properties>\n");
            }
            for (GuestTestCase c : res.tests()) {
                body.append("    <testcase classname=\"").append(xml(c.className())).append("\" name=\"")
                        .append(xml(c.name())).append("\" time=\"").append(secs(c.millis() / 1000.0)).append('"');
                if (c.passed()) {
                    body.append("/>\n");
                    continue;
                }
                body.append(">\n");
                if (c.failed()) {
                    body.append("      <failure message=\"").append(xml(nn(c.reason()))).append("\">")
                            .append(xml(c.trace() != null ? c.trace() : nn(c.reason()))).append("</failure>\n");
                } else {
                    body.append("      <skipped message=\"").append(xml(nn(c.reason()))).append("\"/>\n");
                }
                body.append("    </testcase>\n");
            }
            if (s.error() != null) {
                body.append("    <testcase classname=\"guest\" name=\"guest run\" time=\"0\">\n      <error message=\"")
                        .append(xml(firstLine(s.error()))).append("\">").append(xml(s.error()))
                        .append("</error>\n    </testcase>\n");
            }
            body.append("  </testsuite>\n");
        }
        String doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"jvfio guest\" tests=\"" + tests
                + "\" failures=\"" + failures + "\" errors=\"" + errors + "\" skipped=\"" + skipped + "\" time=\""
                + secs(time) + "\">\n" + body + "</testsuites>\n";
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, doc, StandardCharsets.UTF_8);
    }

    /**
     * One testsuite of a JUnit XML report.
     *
     * @param error a failure of the run as a whole (kernel problem, crash), reported as an error, or null
     * @param properties name/value pairs (launcher, timings)
     */
    public record Suite(String name, GuestTestResults results, String error, List<String[]> properties) {}

    private static String nn(String s) {
        return s == null ? "" : s;
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private static String secs(double s) {
        return String.format(java.util.Locale.ROOT, "%.3f", s);
    }

    /** XML text/attribute escaping; characters XML 1.0 cannot carry become U+FFFD. */
    static String xml(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0xfffe || c == 0xffff) {
                        b.append('\ufffd');
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
