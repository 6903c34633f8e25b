package io.jvfio.guest;

import io.jvfio.harness.GuestTestCase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-test outcomes of the unprivileged stage on the kernel and on the emulator, side by side. A
 * test's outcome is passed, failed, skipped by the stage (an asserted ENOMEM or the stage's own
 * reason) or skipped otherwise. Tests the kernel row skips for a reason of its machine (an
 * emulator-only test, a missing group) are not comparable; every other outcome must be the same.
 */
record StageComparison(Map<String, String[]> rows) {
    static final String STAGE = "unprivileged stage";

    static StageComparison of(List<GuestTestCase> kernel, List<GuestTestCase> emulated) {
        Map<String, String[]> rows = new LinkedHashMap<>();
        List<String> kernelKeys = keys(kernel);
        for (int i = 0; i < kernel.size(); i++) {
            GuestTestCase c = kernel.get(i);
            String[] r = rows.computeIfAbsent(kernelKeys.get(i), k -> new String[] {"-", "-", ""});
            r[0] = outcome(c);
            r[2] = c.skipped() && !r[0].equals("skipped(stage)") ? c.reason() : "";
        }
        List<String> emulatedKeys = keys(emulated);
        for (int i = 0; i < emulated.size(); i++) {
            rows.computeIfAbsent(emulatedKeys.get(i), k -> new String[] {"-", "-", ""})[1] = outcome(emulated.get(i));
        }
        return new StageComparison(rows);
    }

    /** {@link #key} of each test, a test that runs again (in the second JVM) marked by its run. */
    static List<String> keys(List<GuestTestCase> tests) {
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<String> out = new ArrayList<>();
        for (GuestTestCase c : tests) {
            int n = seen.merge(key(c), 1, Integer::sum);
            out.add(key(c) + (n == 1 ? "" : " (run " + n + ")"));
        }
        return out;
    }

    /** Class and display name, the backend row's name replaced by {@code [*]}. */
    static String key(GuestTestCase c) {
        String cls = c.className() == null ? "" : c.className();
        return cls.substring(cls.lastIndexOf('.') + 1) + " " + c.name().replaceFirst("\\[(kernel|KERNEL|emulated-ppc64le|EMULATED_PPC64LE)\\]", "[*]");
    }

    static String outcome(GuestTestCase c) {
        if (c.passed()) {
            return "passed";
        }
        if (c.failed()) {
            return "failed";
        }
        return c.reason() != null && c.reason().contains(STAGE) ? "skipped(stage)" : "skipped";
    }

    private boolean comparable(String[] r) {
        return !r[0].equals("-") && !(r[0].equals("skipped") && !r[1].equals("skipped"));
    }

    /** The comparable tests whose outcomes differ, one line each. */
    List<String> differing() {
        List<String> out = new ArrayList<>();
        rows.forEach((k, r) -> {
            if (comparable(r) && !r[0].equals(r[1])) {
                out.add("  " + k + ": kernel " + r[0] + ", emulator " + r[1]);
            }
        });
        return out;
    }

    /** The failed tests of {@code tests}, with their reasons. */
    List<String> failures(List<GuestTestCase> tests) {
        return tests.stream().filter(GuestTestCase::failed).map(c -> "  " + key(c) + ": " + c.reason()).toList();
    }

    /** The counts for the report. */
    List<String> lines() {
        long compared = rows.values().stream().filter(this::comparable).count();
        long stage = rows.values().stream().filter(r -> comparable(r) && r[0].equals("skipped(stage)") && r[1].equals(r[0])).count();
        List<String> out = new ArrayList<>();
        out.add("[test] unprivileged stage, kernel vs emulator: " + (compared - differing().size()) + " of " + compared
                + " comparable tests with the same outcome (" + stage + " of them ENOMEM or skipped by the stage on both), "
                + differing().size() + " differ, " + (rows.size() - compared) + " not comparable (the kernel row skips them: "
                + "emulator-only, or not on this machine)");
        out.addAll(differing());
        return out;
    }

    /** Every test: kernel outcome, emulator outcome, and the kernel's reason for a skip that is not the stage's. */
    List<String> table() {
        List<String> out = new ArrayList<>();
        rows.forEach((k, r) -> out.add(String.format("%-15s %-15s %s%s", r[0], r[1], k, r[2].isEmpty() ? "" : "  # " + r[2])));
        return out;
    }
}
