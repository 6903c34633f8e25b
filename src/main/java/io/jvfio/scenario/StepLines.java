package io.jvfio.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the result lines of {@code jvfio run} back, for comparing runs: the {@code N: OP ARGS ->
 * RESULT} lines, grouped by the {@code == FILE ==} headers of a multi-file run. Everything else
 * (MISMATCH lines, stderr notes, a console's kernel messages) is ignored.
 */
public final class StepLines {
    private StepLines() {}

    private static final Pattern STEP = Pattern.compile("^(\\d+): (.*) -> (.*)$");
    private static final Pattern HEADER = Pattern.compile("^== (.+) ==$");

    /** One result line taken apart. */
    public record Line(int step, String command, String result) {
        public String text() {
            return step + ": " + command + " -> " + result;
        }
    }

    public static Line parse(String line) {
        Matcher m = STEP.matcher(line);
        return m.matches() ? new Line(Integer.parseInt(m.group(1)), m.group(2), m.group(3)) : null;
    }

    /** The result lines of a single-file run. */
    public static List<Line> of(List<String> output) {
        List<Line> out = new ArrayList<>();
        for (String l : output) {
            Line p = parse(l);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /** The result lines of a multi-file run, by the file name in each header. */
    public static Map<String, List<Line>> byFile(List<String> output) {
        Map<String, List<Line>> out = new LinkedHashMap<>();
        List<Line> current = null;
        for (String l : output) {
            Matcher h = HEADER.matcher(l);
            if (h.matches()) {
                current = out.computeIfAbsent(h.group(1), k -> new ArrayList<>());
                continue;
            }
            Line p = parse(l);
            if (p != null && current != null) {
                current.add(p);
            }
        }
        return out;
    }

    /** A step whose results differ between two runs of the same file. */
    public record Difference(int step, String command, String left, String right) {}

    /**
     * Compares two runs step by step. A step present on one side only (a run cut short) is a
     * difference with {@code (missing)} on the other side.
     */
    public static List<Difference> compare(List<Line> left, List<Line> right) {
        List<Difference> d = new ArrayList<>();
        int n = Math.max(left.size(), right.size());
        for (int i = 0; i < n; i++) {
            Line a = i < left.size() ? left.get(i) : null;
            Line b = i < right.size() ? right.get(i) : null;
            if (a != null && b != null && a.step() == b.step() && a.command().equals(b.command())
                    && a.result().equals(b.result())) {
                continue;
            }
            Line any = a != null ? a : b;
            d.add(new Difference(any.step(), any.command(), a == null ? "(missing)" : a.result(),
                    b == null ? "(missing)" : b.result()));
        }
        return d;
    }
}
