package io.jvfio.harness.guest;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.Filter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs JUnit Platform tests inside the guest and reports them as console lines the host parses:
 * <pre>
 * &#64;&#64;JVFIO-START ms=N                      (main() reached, N ms after the JVM process started)
 * &#64;&#64;JVFIO-FIRST-TEST NAME                 (once: the first test starts)
 * &#64;&#64;JVFIO-TEST {"uid":..,"class":..,"name":..,"status":"SUCCESSFUL|FAILED|ABORTED|SKIPPED","reason":..,"ms":N}
 * &#64;&#64;JVFIO-DISCOVERED tests=N                (only with --discover)
 * &#64;&#64;JVFIO-SUMMARY passed=N failed=N skipped=N ms=N   (skipped counts ABORTED too)
 * </pre>
 * A FAILED record also carries {@code "trace"} (the first lines of the stack trace). Containers are
 * reported only when they do not succeed (a class whose {@code @BeforeAll} failed or was aborted).
 *
 * <p>Arguments, in any order:
 * <pre>
 *   --select-package P | -p P     --select-class C | -c C     --select-method C#m
 *   --include-tag T   --exclude-tag T   --include-engine E (default junit-jupiter)   --exclude-engine E
 *   --config KEY=VALUE (a JUnit configuration parameter)     -DKEY=VALUE (a system property)
 *   --discover C   (a class only discovered, never run, after the selections: the AOT cache's training)
 * </pre>
 * Each selector runs as its own execution, in the order given (so e.g. tests that need a clean
 * kernel state can run before the rest). Exit status: 0 all passed (or skipped), 1 a failure, 2 usage.
 */
public final class GuestTestMain {
    public static final String START_PREFIX = "@@JVFIO-START ";
    public static final String TEST_PREFIX = "@@JVFIO-TEST ";
    /** Printed once, when the first test starts: the end of start-up and discovery. */
    public static final String FIRST_TEST_PREFIX = "@@JVFIO-FIRST-TEST ";
    public static final String SUMMARY_PREFIX = "@@JVFIO-SUMMARY ";
    /** After {@code --discover}: how many tests the discovered classes hold (none of them ran). */
    public static final String DISCOVERED_PREFIX = "@@JVFIO-DISCOVERED ";
    private static final int TRACE_LINES = 30;

    private GuestTestMain() {}

    public static void main(String[] args) {
        long startedMs = ProcessHandle.current().info().startInstant()
                .map(i -> System.currentTimeMillis() - i.toEpochMilli()).orElse(-1L);
        System.out.println(START_PREFIX + "ms=" + startedMs);
        int rc;
        try {
            rc = run(parse(args), System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("GuestTestMain: " + e.getMessage());
            rc = 2;
        }
        System.out.flush();
        System.exit(rc);
    }

    /** The parsed command line. */
    record Options(List<DiscoverySelector> selectors, List<String> selectorNames, List<String> includeTags,
            List<String> excludeTags, List<String> includeEngines, List<String> excludeEngines,
            Map<String, String> config, Map<String, String> systemProperties, List<DiscoverySelector> discoverOnly) {}

    static Options parse(String[] args) {
        List<DiscoverySelector> sel = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> inTags = new ArrayList<>();
        List<String> exTags = new ArrayList<>();
        List<String> inEng = new ArrayList<>();
        List<String> exEng = new ArrayList<>();
        Map<String, String> config = new HashMap<>();
        Map<String, String> props = new HashMap<>();
        List<DiscoverySelector> discover = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("-D") && a.length() > 2) {
                String[] kv = a.substring(2).split("=", 2);
                props.put(kv[0], kv.length > 1 ? kv[1] : "");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown argument or missing value: " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--select-package", "-p" -> {
                    sel.add(selectPackage(v));
                    names.add("package " + v);
                }
                case "--select-class", "-c" -> {
                    sel.add(selectClass(v));
                    names.add("class " + v);
                }
                case "--select-method", "-m" -> {
                    sel.add(selectMethod(v));
                    names.add("method " + v);
                }
                case "--discover" -> discover.add(selectClass(v));
                case "--include-tag" -> inTags.add(v);
                case "--exclude-tag" -> exTags.add(v);
                case "--include-engine" -> inEng.add(v);
                case "--exclude-engine" -> exEng.add(v);
                case "--config" -> {
                    String[] kv = v.split("=", 2);
                    config.put(kv[0], kv.length > 1 ? kv[1] : "");
                }
                default -> throw new IllegalArgumentException("unknown argument: " + a);
            }
        }
        if (sel.isEmpty()) {
            throw new IllegalArgumentException("nothing selected (--select-package, --select-class, --select-method)");
        }
        if (inEng.isEmpty()) {
            inEng.add("junit-jupiter");
        }
        return new Options(sel, names, inTags, exTags, inEng, exEng, config, props, discover);
    }

    static int run(Options o, PrintStream out) {
        o.systemProperties().forEach(System::setProperty);
        long t0 = System.nanoTime();
        Reporter reporter = new Reporter(out);
        Launcher launcher = LauncherFactory.create();
        for (DiscoverySelector s : o.selectors()) {
            launcher.execute(request(o, List.of(s)), reporter);
        }
        if (!o.discoverOnly().isEmpty()) {
            // Loads and inspects the classes as a run would, without running them. One class at a time:
            // one that cannot load here (JUnit then fails the whole request) is only a lost training sample.
            long tests = 0;
            for (DiscoverySelector s : o.discoverOnly()) {
                try {
                    tests += launcher.discover(request(o, List.of(s)))
                            .countTestIdentifiers(TestIdentifier::isTest);
                } catch (RuntimeException e) {
                    out.println("not discovered: " + s + ": " + e.getMessage().lines().limit(3).toList());
                }
            }
            out.println(DISCOVERED_PREFIX + "tests=" + tests);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        out.println(SUMMARY_PREFIX + "passed=" + reporter.passed + " failed=" + reporter.failed + " skipped="
                + reporter.skipped + " ms=" + ms);
        out.flush();
        return reporter.failed > 0 ? 1 : 0;
    }

    private static LauncherDiscoveryRequest request(Options o, List<DiscoverySelector> selectors) {
        List<Filter<?>> filters = new ArrayList<>();
        if (!o.includeTags().isEmpty()) {
            filters.add(TagFilter.includeTags(o.includeTags()));
        }
        if (!o.excludeTags().isEmpty()) {
            filters.add(TagFilter.excludeTags(o.excludeTags()));
        }
        filters.add(EngineFilter.includeEngines(o.includeEngines()));
        if (!o.excludeEngines().isEmpty()) {
            filters.add(EngineFilter.excludeEngines(o.excludeEngines()));
        }
        return LauncherDiscoveryRequestBuilder.request().selectors(selectors)
                .filters(filters.toArray(new Filter<?>[0])).configurationParameters(o.config()).build();
    }

    /** Prints one line per finished test (and per unsuccessful container). */
    static final class Reporter implements TestExecutionListener {
        private final PrintStream out;
        private final Map<String, Long> started = new HashMap<>();
        private TestPlan plan;
        private boolean firstStarted;
        int passed;
        int failed;
        int skipped;

        Reporter(PrintStream out) {
            this.out = out;
        }

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            started.put(id.getUniqueId(), System.nanoTime());
            if (id.isTest() && !firstStarted) {
                firstStarted = true;
                out.println(FIRST_TEST_PREFIX + id.getDisplayName());
                out.flush();
            }
        }

        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
            if (id.isTest() || isClassLike(id)) {
                report(id, "SKIPPED", reason, null, 0);
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Long s = started.remove(id.getUniqueId());
            long ms = s == null ? 0 : (System.nanoTime() - s) / 1_000_000;
            TestExecutionResult.Status st = result.getStatus();
            if (!id.isTest() && st == TestExecutionResult.Status.SUCCESSFUL) {
                return;
            }
            Throwable t = result.getThrowable().orElse(null);
            String reason = t == null ? null : t.toString();
            report(id, st.name(), reason, st == TestExecutionResult.Status.FAILED ? t : null, ms);
        }

        private boolean isClassLike(TestIdentifier id) {
            return id.getSource().map(src -> src instanceof ClassSource || src instanceof MethodSource).orElse(false);
        }

        private void report(TestIdentifier id, String status, String reason, Throwable trace, long ms) {
            switch (status) {
                case "SUCCESSFUL" -> passed++;
                case "FAILED" -> failed++;
                default -> skipped++;
            }
            Json j = new Json().put("uid", id.getUniqueId()).put("class", className(id)).put("name", name(id))
                    .put("status", status).put("reason", reason).put("ms", ms);
            if (trace != null) {
                j.put("trace", trace(trace));
            }
            out.println(TEST_PREFIX + j);
        }

        private String className(TestIdentifier id) {
            for (Optional<TestIdentifier> cur = Optional.of(id); cur.isPresent(); cur = parent(cur.get())) {
                Optional<TestSource> src = cur.get().getSource();
                if (src.isPresent() && src.get() instanceof MethodSource m) {
                    return m.getClassName();
                }
                if (src.isPresent() && src.get() instanceof ClassSource c) {
                    return c.getClassName();
                }
            }
            return "";
        }

        /** The display name, prefixed by its parent's when the parent is a method (parameterized, factory). */
        private String name(TestIdentifier id) {
            Optional<TestIdentifier> p = parent(id);
            if (id.isTest() && p.isPresent() && p.get().getSource().map(s -> s instanceof MethodSource).orElse(false)) {
                return p.get().getDisplayName() + " " + id.getDisplayName();
            }
            return id.getDisplayName();
        }

        private Optional<TestIdentifier> parent(TestIdentifier id) {
            return plan == null ? Optional.empty() : plan.getParent(id);
        }

        private static String trace(Throwable t) {
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            String[] lines = w.toString().split("\n");
            if (lines.length <= TRACE_LINES) {
                return w.toString().stripTrailing();
            }
            return String.join("\n", java.util.Arrays.copyOf(lines, TRACE_LINES)) + "\n\t... "
                    + (lines.length - TRACE_LINES) + " more lines";
        }
    }
}
