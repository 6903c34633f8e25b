package io.jvfio.bench;

import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The in-guest MAP+UNMAP benchmark: {@code native/guest-bench/mapbench.c} and its Java counterpart
 * {@code io.jvfio.toolkit.bench.MapBench} (public API and toolkit), its {@code --mapper} mode (the API
 * through a thread's {@code DmaMapper}) and its {@code --seam} mode (the same ioctls on the backend seam,
 * no API), alternated C, API, mapper, seam, C, ..., C in one boot of the
 * QEMU pseries guest, so all see the same kernel, the same TCG host and the same drift. Each program
 * run prints one median per operation. The reported ratio is the median of the Java runs over the
 * median of the C runs (robust to one disturbed run); the ratio of each round, over the mean of the C
 * runs just before and after it, shows the spread.
 *
 * <p>Usage: {@code GuestMapBench [ROUNDS]} (default 5) from the repository root, after {@code make
 * build images guest-bench}; {@code scripts/bench-guest.sh} (or {@code make bench-guest}) does all
 * that. System properties: {@code bench.jvm} replaces the guest JVM's flags (default {@link #c2JvmFlags()}:
 * a steady-state benchmark wants C2); {@code bench.args} is passed to both programs (default
 * {@code -w 200000}: under TCG, C2 finishes compiling the one-page loop only after ~100,000
 * repetitions; with 20,000 the Java rows still moved from round to round).
 * Each round also runs {@code MapBench --seam-gap} and C with pages touched per pair ({@code mapbench -p/-P}):
 * {@link SeamGapTables} turns them into the seam's gap step by step and the working-set test.
 * Prints the Markdown tables and writes them to {@code target/bench/guest-map.md}.
 */
public final class GuestMapBench {
    private static final Pattern RESULT = Pattern.compile("mapbench (\\S+) median_ns=(\\d+)");
    private static final Pattern ROUND = Pattern.compile("@@ROUND (\\d+) (\\w+)");
    /**
     * The working-set runs' options: C needs no long warmup, and 1024 touched pages cost ~0.5 ms per
     * repetition under TCG (QEMU's TLB no longer holds them), so fewer repetitions; the 8192-page part once.
     */
    private static final String TOUCH_ARGS = "-n 201 -w 2000 -m 1 -W 0";
    /** The operations of the main table (the C program also prints its timer and, with -P, touch_only). */
    private static final Pattern MAP_OP = Pattern.compile("one_page|\\d+_pages");
    /** The runs after C's in each round, in order, and how the table names them. */
    private static final Map<String, String> RUNS = new LinkedHashMap<>(Map.of(
            "cthread", "C with a second thread alive (mapbench.c -t)"));

    static {
        RUNS.put("java", "Java, public API (Container) + toolkit");
        RUNS.put("mapper", "Java, public API (DmaMapper) + toolkit");
        RUNS.put("seam", "Java, backend seam (no API)");
    }

    private GuestMapBench() {}

    /**
     * The harness's guest JVM flags with C2. Leaving out {@code -XX:TieredStopAtLevel=1} is not enough:
     * the guest runtime has it built in ({@code jlink --add-options}), and only a later flag on the
     * command line overrides it; until 2026-12-06 the guest benchmarks ran C1 only.
     */
    static String c2JvmFlags() {
        return String.join(" ", GuestRun.JVM_FLAGS.stream()
                .map(f -> f.startsWith("-XX:TieredStopAtLevel") ? "-XX:TieredStopAtLevel=4" : f).toList());
    }

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path c = Path.of("target/native/mapbench-ppc64le");
        Path jar = Path.of("target/jvfio-all.jar");
        for (Path p : List.of(c, jar)) {
            if (!Files.isRegularFile(p)) {
                System.err.println("bench-guest: " + p + " is missing: run make build guest-bench (or make bench-guest)");
                System.exit(1);
            }
        }
        String jvm = System.getProperty("bench.jvm", c2JvmFlags());
        String progArgs = System.getProperty("bench.args", "-w 200000");
        String java = "\"$JAVA\" " + jvm + " -cp jvfio-all.jar io.jvfio.toolkit.bench.MapBench " + progArgs;
        StringBuilder script = new StringBuilder("set -e\n");
        // C runs one more time than Java, so that every Java run has a C run on either side.
        for (int r = 1; r <= rounds + 1; r++) {
            script.append("echo '@@ROUND ").append(r).append(" c'\n./mapbench ").append(progArgs).append(" 2>&1\n");
            if (r <= rounds) {
                for (String who : RUNS.keySet()) {
                    script.append("echo '@@ROUND ").append(r).append(' ').append(who).append("'\n")
                            .append(who.equals("cthread") ? "./mapbench -t " + progArgs : java
                                    + (who.equals("java") ? "" : " --" + who)).append(" 2>&1\n");
                }
                script.append("echo '@@ROUND ").append(r).append(" downcall'\n\"$JAVA\" ").append(jvm)
                        .append(" -cp jvfio-all.jar io.jvfio.toolkit.bench.DowncallBench 2>&1\n");
                script.append("echo '@@ROUND ").append(r).append(" seamgap'\n").append(java).append(" --seam-gap 2>&1\n");
                for (int pages : SeamGapTables.TOUCHED_PAGES) {
                    for (String where : pages <= SeamGapTables.MAX_PAGES_BETWEEN ? List.of("p", "P") : List.of("p")) {
                        script.append("echo '@@ROUND ").append(r).append(" ctouch").append(where.equals("P") ? "in" : "")
                                .append(pages).append("'\n./mapbench ").append(TOUCH_ARGS).append(" -").append(where)
                                .append(' ').append(pages).append(" 2>&1\n");
                    }
                }
            }
        }
        GuestRun run = GuestRun.builder("bench-guest").file(jar, "jvfio-all.jar").file(c, "mapbench")
                .script(script.toString()).build();
        System.err.println("[bench-guest] guest JVM: " + jvm + (progArgs.isEmpty() ? "" : "; both programs: " + progArgs));
        System.err.println("[bench-guest] one boot: " + (rounds + 1) + " C runs and " + rounds
                + " runs each of C with a thread, the Java API, mapper, seam, the downcall bench, the seam's gap step by step"
                + " and C with " + SeamGapTables.TOUCHED_PAGES + " pages touched, alternated (about " + (30 + 80 * rounds)
                + " s under TCG)");
        // 30 minutes, not the default 10: a loaded shared machine (load 8 on 2 cores) slows TCG two- to threefold.
        GuestMachine machine = GuestMachine.defaults().toBuilder().timeout(Duration.ofMinutes(30)).build();
        GuestResult result = new HostQemuLauncher().run(machine, GuestImages.locate(), run);
        if (result.exitStatus() != 0) {
            System.err.println("bench-guest: the guest run failed (exit " + result.exitStatus() + "):");
            result.runOutput().forEach(l -> System.err.println("  " + l));
            System.exit(1);
        }

        // results.get("c"|"java").get(op) = the medians of that program's runs, in round order
        String table = table(parse(result.runOutput()), rounds);
        System.out.print(table);
        Path out = Path.of("target/bench/guest-map.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
        System.err.println("[bench-guest] wrote " + out);
    }

    /**
     * The guest's output read back: {@code results.get(who).get(op)} = the medians of that program's
     * runs, in round order. The programs' diagnostics ({@code #} lines) are echoed on stderr.
     */
    static Map<String, Map<String, List<Long>>> parse(List<String> output) {
        Map<String, Map<String, List<Long>>> results = new LinkedHashMap<>();
        String who = null;
        for (String line : output) {
            Matcher m = ROUND.matcher(line);
            if (m.find()) {
                who = m.group(2);
                continue;
            }
            m = RESULT.matcher(line);
            if (m.find() && who != null) {
                results.computeIfAbsent(who, k -> new LinkedHashMap<>())
                        .computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(Long.parseLong(m.group(2)));
            } else if (line.startsWith("#")) {
                System.err.println("  " + who + " " + line);
            }
        }
        return results;
    }

    /** The Markdown table: per operation, every run's median, and the ratios to C (per round, and their median). */
    static String table(Map<String, Map<String, List<Long>>> r, int rounds) {
        Map<String, List<Long>> cRuns = r.getOrDefault("c", Map.of());
        StringBuilder s = new StringBuilder();
        s.append("| operation | program | medians, ns (each run) | median of runs, ns | over C per round | over C |\n");
        s.append("|---|---|---|---:|---|---:|\n");
        boolean incomplete = false;
        for (String op : mapOps(cRuns)) {
            List<Long> cs = cRuns.get(op);
            String name = "MAP+UNMAP, " + op.replace('_', ' ');
            long cMedian = median(cs);
            s.append("| ").append(name).append(" | C (mapbench.c) | ").append(join(cs)).append(" | ").append(cMedian)
                    .append(" | | |\n");
            for (String who : RUNS.keySet()) {
                List<Long> js = r.getOrDefault(who, Map.of()).getOrDefault(op, List.of());
                incomplete |= js.size() != rounds;
                List<Double> ratios = new ArrayList<>();
                for (int i = 0; i < js.size() && i + 1 < cs.size(); i++) {
                    ratios.add(js.get(i) / ((cs.get(i) + cs.get(i + 1)) / 2.0));
                }
                s.append("| ").append(name).append(" | ").append(RUNS.get(who))
                        .append(" | ").append(join(js)).append(" | ").append(js.isEmpty() ? "–" : median(js)).append(" | ")
                        .append(String.join(", ", ratios.stream().map(GuestMapBench::ratio).toList())).append(" | ")
                        .append(js.isEmpty() ? "–" : ratio((double) median(js) / cMedian)).append(" |\n");
            }
        }
        s.append(aboveSeam(r, cRuns));
        s.append(downcalls(r, cRuns));
        s.append(SeamGapTables.steps(r));
        s.append(SeamGapTables.workingSet(r));
        if (incomplete) {
            s.append("\n(incomplete: a Java run printed no result; see the guest console)\n");
        }
        return s.toString();
    }

    /**
     * What the public API costs above the seam, as a fraction of C: per round, (API run - seam run) over
     * the mean of the C runs on either side, and the median of those, for each operation and API path.
     */
    static String aboveSeam(Map<String, Map<String, List<Long>>> r, Map<String, List<Long>> cRuns) {
        StringBuilder s = new StringBuilder("\n| operation | API path | (API - seam)/C per round | median |\n|---|---|---|---:|\n");
        for (String op : mapOps(cRuns)) {
            List<Long> cs = cRuns.get(op);
            List<Long> seam = r.getOrDefault("seam", Map.of()).getOrDefault(op, List.of());
            for (String who : List.of("java", "mapper")) {
                List<Long> js = r.getOrDefault(who, Map.of()).getOrDefault(op, List.of());
                List<Double> f = new ArrayList<>();
                for (int i = 0; i < js.size() && i < seam.size() && i + 1 < cs.size(); i++) {
                    f.add((js.get(i) - seam.get(i)) / ((cs.get(i) + cs.get(i + 1)) / 2.0));
                }
                List<Double> sorted = new ArrayList<>(f);
                sorted.sort(null);
                s.append("| MAP+UNMAP, ").append(op.replace('_', ' ')).append(" | ").append(RUNS.get(who))
                        .append(" | ").append(String.join(", ", f.stream().map(GuestMapBench::ratio).toList()))
                        .append(" | ").append(sorted.isEmpty() ? "–" : ratio(sorted.get((sorted.size() - 1) / 2)))
                        .append(" |\n");
            }
        }
        return s.toString();
    }

    /**
     * The FFM downcall itself in the guest ({@code DowncallBench}: libc's {@code abs} bound as the seam
     * binds ioctl, with and without errno capture), per call, against the seam's gap to C for one
     * page: a MAP+UNMAP pair makes two downcalls.
     */
    static String downcalls(Map<String, Map<String, List<Long>>> r, Map<String, List<Long>> cRuns) {
        Map<String, List<Long>> d = r.getOrDefault("downcall", Map.of());
        List<Long> capture = d.getOrDefault("downcall_capture", List.of());
        List<Long> seam = r.getOrDefault("seam", Map.of()).getOrDefault("one_page", List.of());
        List<Long> cs = cRuns.getOrDefault("one_page", List.of());
        if (capture.isEmpty() || seam.isEmpty() || cs.isEmpty()) {
            return "";
        }
        long gap = median(seam) - median(cs);
        String t = "\n| FFM downcall in the guest, ns per call | medians (each run) | median |\n|---|---|---:|\n"
                + "| with errno capture (the seam's binding) | " + join(capture) + " | " + median(capture) + " |\n"
                + "| without errno capture | " + join(d.getOrDefault("downcall_plain", List.of())) + " | "
                + median(d.getOrDefault("downcall_plain", List.of(0L))) + " |\n"
                + "| the seam's gap to C per one-page pair (seam - C, medians) | | " + gap + " |\n"
                + "| two captured downcalls over that gap | | " + ratio(2.0 * median(capture) / gap) + " |\n";
        List<Long> threaded = r.getOrDefault("cthread", Map.of()).getOrDefault("one_page", List.of());
        if (!threaded.isEmpty()) {
            long shared = median(threaded) - median(cs);
            t += "| a shared fd table per one-page pair (C with a second thread - C, medians) | | " + shared + " |\n"
                    + "| the rest of the gap (gap - two captured downcalls - shared fd table) | | "
                    + (gap - 2 * median(capture) - shared) + " |\n";
        }
        return t;
    }

    /** C's MAP+UNMAP operations, in output order. */
    private static List<String> mapOps(Map<String, List<Long>> cRuns) {
        return cRuns.keySet().stream().filter(op -> MAP_OP.matcher(op).matches()).toList();
    }

    /** The median (the lower middle one of an even count). */
    static long median(List<Long> v) {
        List<Long> sorted = new ArrayList<>(v);
        sorted.sort(null);
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static String ratio(double x) {
        return String.format(Locale.ROOT, "%.3f", x);
    }

    private static String join(List<Long> v) {
        return String.join(", ", v.stream().map(String::valueOf).toList());
    }
}
