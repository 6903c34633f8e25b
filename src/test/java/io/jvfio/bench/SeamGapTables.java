package io.jvfio.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The two tables of {@link GuestMapBench} that explain the seam's one-page gap to C by measurement:
 * the gap taken apart step by step (the {@code --seam-gap} run's loops against the C runs on either
 * side of it, per round) and the working-set test (C with N pages touched per pair: does a larger
 * working set between two ioctls make them slower under TCG?).
 */
final class SeamGapTables {
    /** The page counts of the working-set runs: {@code ctouchN} (before each pair) and {@code ctouchinN} (between MAP and UNMAP). */
    static final List<Integer> TOUCHED_PAGES = List.of(16, 64, 256, 1024);
    /**
     * The most pages written between MAP and UNMAP: 1024 pages cost ~0.5 ms themselves under TCG (QEMU's
     * TLB no longer holds them), so the pair would be the difference of two noisy half-millisecond medians.
     */
    static final int MAX_PAGES_BETWEEN = 256;

    private SeamGapTables() {}

    /** A run's medians of one operation, in round order. */
    private static List<Long> runs(Map<String, Map<String, List<Long>>> r, String who, String op) {
        return r.getOrDefault(who, Map.of()).getOrDefault(op, List.of());
    }

    /** The mean of the C runs just before and after round i (there is one C run more than rounds). */
    private static double around(List<Long> c, int i) {
        return (c.get(i) + c.get(i + 1)) / 2.0;
    }

    /** One row: the per-round values, their median, and the median's share of {@code gap} (when given). */
    private static String row(String label, List<Double> perRound, Double gap) {
        double m = median(perRound);
        return "| " + label + " | " + String.join(", ", perRound.stream().map(SeamGapTables::ns).toList()) + " | "
                + (perRound.isEmpty() ? "–" : ns(m)) + " | "
                + (gap == null || perRound.isEmpty() ? "" : String.format(Locale.ROOT, "%.2f", m / gap)) + " |\n";
    }

    /** Per round i where every input exists, {@code f(i)}. */
    private static List<Double> rounds(int n, IntFunction<Double> f) {
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            v.add(f.apply(i));
        }
        return v;
    }

    /**
     * The gap taken apart. The steps telescope: their sum is the gap of each round, so the last step,
     * what the two ioctls cost in the JVM beyond their cost in C and the shared fd table, is what no
     * ingredient explains. Empty without a {@code seamgap} run.
     */
    static String steps(Map<String, Map<String, List<Long>>> r) {
        List<Long> c = runs(r, "c", "one_page");
        List<Long> cTimer = runs(r, "c", "timer");
        List<Long> cThread = runs(r, "cthread", "one_page");
        List<Long> timer = runs(r, "seamgap", "gap_timer");
        List<Long> noop = runs(r, "seamgap", "gap_noop_downcalls");
        List<Long> noCapture = runs(r, "seamgap", "gap_no_capture");
        List<Long> caller = runs(r, "seamgap", "gap_caller_buffer");
        List<Long> seam = runs(r, "seamgap", "gap_seam");
        int n = min(c.size() - 1, cTimer.size() - 1, cThread.size(), timer.size(), noop.size(), noCapture.size(),
                caller.size(), seam.size());
        if (n <= 0) {
            return "";
        }
        List<Double> gap = rounds(n, i -> seam.get(i) - around(c, i));
        List<Double> fdTable = rounds(n, i -> cThread.get(i) - around(c, i));
        Double g = median(gap);
        return "\n| the seam's one-page gap to C, step by step (ns per MAP+UNMAP pair; one JVM's loops, C on either side)"
                + " | per round | median | share of the gap |\n|---|---|---:|---:|\n"
                + row("the gap: the seam (seam-gap run) - C", gap, g)
                + row("timing: two System.nanoTime - two clock_gettime (gap_timer - C's timer)",
                        rounds(n, i -> timer.get(i) - around(cTimer, i)), g)
                + row("two FFM downcalls without errno capture, no kernel: abs (gap_noop_downcalls - gap_timer)",
                        rounds(n, i -> (double) noop.get(i) - timer.get(i)), g)
                + row("a shared fd table (C with a second thread - C)", fdTable, g)
                + row("errno capture, two calls (gap_caller_buffer - gap_no_capture)",
                        rounds(n, i -> (double) caller.get(i) - noCapture.get(i)), g)
                + row("the seam's per-thread errno buffer, two lookups (gap_seam - gap_caller_buffer)",
                        rounds(n, i -> (double) seam.get(i) - caller.get(i)), g)
                + row("unexplained: the two ioctls in the JVM beyond C's and the fd table"
                        + " ((gap_no_capture - gap_noop_downcalls) - (C - C's timer) - fd table)",
                        rounds(n, i -> (noCapture.get(i) - noop.get(i)) - (around(c, i) - around(cTimer, i)) - fdTable.get(i)), g);
    }

    /**
     * The working-set test: C's one-page pair with N distinct pages written before each pair (untimed)
     * and between MAP and UNMAP (the touches alone subtracted), over plain C. Empty without those runs.
     */
    static String workingSet(Map<String, Map<String, List<Long>>> r) {
        List<Long> c = runs(r, "c", "one_page");
        List<Long> cTimer = runs(r, "c", "timer");
        StringBuilder s = new StringBuilder();
        for (int pages : TOUCHED_PAGES) {
            List<Long> before = runs(r, "ctouch" + pages, "one_page");
            List<Long> between = runs(r, "ctouchin" + pages, "one_page");
            List<Long> alone = runs(r, "ctouchin" + pages, "touch_only");
            if (before.isEmpty() && between.isEmpty()) {
                continue;
            }
            List<Double> b = rounds(min(before.size(), c.size() - 1), i -> before.get(i) - around(c, i));
            List<Double> w = rounds(min(between.size(), alone.size(), c.size() - 1, cTimer.size() - 1),
                    i -> (between.get(i) - alone.get(i)) - (around(c, i) - around(cTimer, i)));
            s.append("| ").append(pages).append(" | ").append(String.join(", ", b.stream().map(SeamGapTables::ns).toList()))
                    .append(" | ").append(b.isEmpty() ? "–" : ns(median(b))).append(" | ")
                    .append(String.join(", ", w.stream().map(SeamGapTables::ns).toList())).append(" | ")
                    .append(w.isEmpty() ? "–" : ns(median(w))).append(" |\n");
        }
        if (s.isEmpty()) {
            return "";
        }
        return "\n| C, pages written per one-page pair | before the pair (untimed): run - C, per round | median"
                + " | between MAP and UNMAP: run - touches alone - (C - C's timer), per round | median |\n"
                + "|---:|---|---:|---|---:|\n" + s;
    }

    private static int min(int... v) {
        int m = Integer.MAX_VALUE;
        for (int x : v) {
            m = Math.min(m, x);
        }
        return m;
    }

    /** The median (the lower middle one of an even count); NaN when empty. */
    static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(v);
        sorted.sort(null);
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static String ns(double x) {
        return String.valueOf(Math.round(x));
    }
}
