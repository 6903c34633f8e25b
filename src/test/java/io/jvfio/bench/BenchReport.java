package io.jvfio.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one run of scripts/bench.sh into tables: the C loops' lines ({@code c.txt}), JMH's JSON
 * ({@code jmh*.json}), the footprint lines ({@code footprint.txt}) and the run's facts
 * ({@code meta.txt}, key=value) of a directory. Prints the tables and writes {@code report.md} there.
 *
 * <p>Each time is the median over the measurement iterations of one JMH fork (each iteration an
 * average over about a second of calls), next to their mean; a C line's time is the median of its
 * runs, and a C program runs several times per bench run (before and after JMH), so its row gives the
 * median and the mean of those medians. Ratios divide medians.
 */
public final class BenchReport {
    private BenchReport() {}

    record Stat(double median, double mean, double min, double max, int n) {
        static Stat of(List<Double> v) {
            double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double med = a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
            return new Stat(med, Arrays.stream(a).average().orElse(Double.NaN), a[0], a[a.length - 1], a.length);
        }
    }

    /** One JMH benchmark: time statistics and bytes allocated per operation (NaN when not measured). */
    record Jmh(Stat time, double error, String unit, double bytesPerOp) {}

    private final Map<String, Stat> c = new LinkedHashMap<>();
    private final Map<String, Jmh> jmh = new LinkedHashMap<>();
    private final List<String> footprint = new ArrayList<>();
    private final Map<String, String> meta = new LinkedHashMap<>();
    private final StringBuilder md = new StringBuilder();
    private final List<String> verdicts = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/bench");
        BenchReport r = new BenchReport();
        r.load(dir);
        r.render();
        Files.writeString(dir.resolve("report.md"), r.md);
        System.out.print(r.md);
    }

    private void load(Path dir) throws IOException {
        Path ct = dir.resolve("c.txt");
        if (Files.exists(ct)) {
            Pattern p = Pattern.compile("^(\\S+) (\\S+) median_ns=([0-9.]+)$");
            Map<String, List<Double>> raw = new LinkedHashMap<>();
            for (String line : Files.readAllLines(ct)) {
                Matcher m = p.matcher(line.trim());
                if (m.matches()) {
                    raw.computeIfAbsent(m.group(1) + " " + m.group(2), k -> new ArrayList<>()).add(Double.parseDouble(m.group(3)));
                }
            }
            raw.forEach((k, v) -> c.put(k, Stat.of(v)));
        }
        List<Path> jsons;
        try (var files = Files.list(dir)) {
            jsons = files.filter(f -> f.getFileName().toString().matches("jmh.*\\.json")).sorted().toList();
        }
        for (Path jj : jsons) {
            if (Files.size(jj) == 0) {
                continue;
            }
            for (JsonNode b : new ObjectMapper().readTree(jj.toFile())) {
                String name = b.get("benchmark").asText();
                name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
                JsonNode params = b.get("params");
                if (params != null) {
                    List<String> kv = new ArrayList<>();
                    params.properties().forEach(e -> kv.add(e.getKey() + "=" + e.getValue().asText()));
                    name += kv.toString();
                }
                JsonNode pm = b.get("primaryMetric");
                List<Double> iters = new ArrayList<>();
                for (JsonNode fork : pm.get("rawData")) {
                    for (JsonNode v : fork) {
                        iters.add(v.asDouble());
                    }
                }
                double bytes = Double.NaN;
                JsonNode sec = b.get("secondaryMetrics");
                if (sec != null) {
                    for (Map.Entry<String, JsonNode> e : sec.properties()) {
                        if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                            bytes = e.getValue().get("score").asDouble();
                        }
                    }
                }
                jmh.put(name, new Jmh(Stat.of(iters), pm.get("scoreError").asDouble(), pm.get("scoreUnit").asText(), bytes));
            }
        }
        Path fp = dir.resolve("footprint.txt");
        if (Files.exists(fp)) {
            footprint.addAll(Files.readAllLines(fp).stream().filter(l -> l.startsWith("footprint")).toList());
        }
        Path mt = dir.resolve("meta.txt");
        if (Files.exists(mt)) {
            for (String line : Files.readAllLines(mt)) {
                int i = line.indexOf('=');
                if (i > 0) {
                    meta.put(line.substring(0, i), line.substring(i + 1));
                }
            }
        }
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, v >= 100 ? "%.1f" : "%.2f", v);
    }

    private static String bytes(double v) {
        return Double.isNaN(v) ? "–" : v < 0.005 ? "0" : String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.0f", v);
    }

    /**
     * No allocation per call: under 1 byte per operation. Any object allocated per call is at least 16
     * bytes; JMH's own per-iteration bookkeeping, spread over the calls, shows as up to ~0.2 B/op.
     */
    static boolean noAllocation(double bytesPerOp) {
        return bytesPerOp < 1;
    }

    private void line(String s) {
        md.append(s).append('\n');
    }

    private Optional<Jmh> j(String name) {
        return Optional.ofNullable(jmh.get(name));
    }

    private void render() {
        line("# jvfio benchmark report");
        line("");
        meta.forEach((k, v) -> line("- " + k + ": " + v));
        line("");
        ioctlTable();
        noopTable();
        emulatorTable();
        if (!verdicts.isEmpty()) {
            line("## Targets");
            line("");
            verdicts.forEach(v -> line("- " + v));
            line("");
        }
    }

    private void ioctlTable() {
        Stat thread = c.get("fionread thread");
        Stat single = c.get("fionread single");
        line("## ioctl(FIONREAD) on a pipe: the round trip");
        line("");
        line("| caller | median ns/call | mean ns/call | ratio vs C with a thread | bytes/call |");
        line("|---|---:|---:|---:|---:|");
        double base = thread == null ? Double.NaN : thread.median();
        if (single != null) {
            line(String.format("| C loop, single-threaded (%d runs of the program) | %s | %s | %s | – |", single.n(),
                    f(single.median()), f(single.mean()), f(single.median() / base)));
        }
        if (thread != null) {
            line(String.format("| C loop, a second thread alive (%d runs) | %s | %s | 1.00 | – |", thread.n(),
                    f(thread.median()), f(thread.mean())));
        }
        String[][] rows = {
            {"IoctlBench.jvfioSeam", "jvfio: KernelBackend.ioctl (the seam)"},
            {"IoctlBench.jvfioSeamCallerBuffer", "jvfio: the seam, caller's errno buffer (DmaMapper's path)"},
            {"IoctlBench.jvfioLibC", "jvfio: LibC.ioctl"},
            {"IoctlBench.jvfioLibCCallerBuffer", "jvfio: LibC.ioctl, caller's errno buffer"},
            {"IoctlBench.ffmNaiveArena", "FFM naive: confined Arena per call"},
            {"IoctlBench.ffmNoCapture", "FFM without errno capture"},
            {"IoctlBench.jnr", "JNR (jnr-ffi 2.3.4, @SaveError)"},
        };
        for (String[] row : rows) {
            j(row[0]).ifPresent(b -> line(String.format("| %s | %s | %s | %s | %s |", row[1], f(b.time().median()),
                    f(b.time().mean()), String.format(Locale.ROOT, "%.3f", b.time().median() / base), bytes(b.bytesPerOp()))));
        }
        line("");
        for (String name : List.of("IoctlBench.jvfioSeam", "IoctlBench.jvfioLibC")) {
            j(name).ifPresent(b -> {
                double ratio = b.time().median() / base;
                verdicts.add(String.format(Locale.ROOT, "%s: Java/C-with-thread = %.3f (target <= 1.02): %s", name, ratio,
                        ratio <= 1.02 ? "met" : "missed"));
                verdicts.add(String.format(Locale.ROOT, "%s: %s bytes/call (target 0): %s", name, bytes(b.bytesPerOp()),
                        noAllocation(b.bytesPerOp()) ? "met" : "missed"));
            });
        }
    }

    private void noopTable() {
        Stat noop = c.get("noop c");
        Stat noopErrno = c.get("noop_errno c");
        line("## The same call shape into a C no-op: each binding's own cost");
        line("");
        line("| caller | median ns/call | mean ns/call | over C, ns | ratio vs C | bytes/call |");
        line("|---|---:|---:|---:|---:|---:|");
        double base = noop == null ? Double.NaN : noop.median();
        if (noop != null) {
            line(String.format("| C loop, call through a function pointer (%d runs) | %s | %s | 0 | 1.00 | – |", noop.n(),
                    f(noop.median()), f(noop.mean())));
        }
        if (noopErrno != null) {
            line(String.format("| C loop, jvfio_noop_errno (sets errno) (%d runs) | %s | %s | %s | %s | – |", noopErrno.n(),
                    f(noopErrno.median()), f(noopErrno.mean()), f(noopErrno.median() - base), f(noopErrno.median() / base)));
        }
        String[][] rows = {
            {"NoopBench.harnessFloor", "(JMH harness floor: no call)"},
            {"NoopBench.jvfioLibC", "jvfio: LibC path (per-thread errno buffer)"},
            {"NoopBench.jvfioLibCCallerBuffer", "jvfio: LibC path, caller's errno buffer"},
            {"NoopBench.ffmNaiveArena", "FFM naive: confined Arena per call"},
            {"NoopBench.ffmNoCapture", "FFM without errno capture"},
            {"NoopBench.ffmCriticalCapture", "FFM critical(false) + errno capture (no-op only)"},
            {"NoopBench.jnr", "JNR (jnr-ffi 2.3.4, @SaveError)"},
        };
        for (String[] row : rows) {
            j(row[0]).ifPresent(b -> line(String.format("| %s | %s | %s | %s | %s | %s |", row[1], f(b.time().median()),
                    f(b.time().mean()), f(b.time().median() - base), f(b.time().median() / base), bytes(b.bytesPerOp()))));
        }
        line("");
        j("NoopBench.jvfioLibC").ifPresent(b -> verdicts.add(String.format(Locale.ROOT,
                "no-op binding cost of jvfio's path: +%.2f ns over C (target <= +6 ns): %s", b.time().median() - base,
                b.time().median() - base <= 6 ? "met" : "missed")));
        j("NoopBench.jvfioLibCCallerBuffer").ifPresent(b -> verdicts.add(String.format(Locale.ROOT,
                "no-op binding cost with the caller's errno buffer: +%.2f ns over C (target <= +6 ns): %s",
                b.time().median() - base, b.time().median() - base <= 6 ? "met" : "missed")));
    }

    private void emulatorTable() {
        Optional<Jmh> large = j("EmulatorBench.emulatorMapUnmapPerTce");
        boolean any = large.isPresent() || !footprint.isEmpty();
        for (String n : List.of("false", "true")) {
            any |= j("EmulatorBench.apiMapUnmap4K[neighbour=" + n + "]").isPresent();
        }
        if (!any) {
            line("## Emulator: not measured (io.jvfio.emul was not on the class path)");
            line("");
            return;
        }
        line("## MAP+UNMAP on the emulator (qemu-pseries)");
        line("");
        line("| what | median ns/op | mean ns/op | bytes/op |");
        line("|---|---:|---:|---:|");
        for (String n : List.of("false", "true")) {
            String where = n.equals("true") ? "next page kept mapped" : "page alone in its table chunk";
            Optional<Jmh> api = j("EmulatorBench.apiMapUnmap4K[neighbour=" + n + "]");
            Optional<Jmh> seam = j("EmulatorBench.seamMapUnmap4K[neighbour=" + n + "]");
            api.ifPresent(b -> line(String.format("| Container.map + unmap of one 4 KiB page, %s: public API + emulator | %s | %s | %s |",
                    where, f(b.time().median()), f(b.time().mean()), bytes(b.bytesPerOp()))));
            seam.ifPresent(b -> line(String.format("| the same two ioctls on the emulator's seam: emulator only | %s | %s | %s |",
                    f(b.time().median()), f(b.time().mean()), bytes(b.bytesPerOp()))));
            Optional<Jmh> mapper = j("EmulatorBench.apiMapperMapUnmap4K[neighbour=" + n + "]");
            mapper.ifPresent(b -> line(String.format("| DmaMapper.map + unmap of the same page: public API + emulator | %s | %s | %s |",
                    f(b.time().median()), f(b.time().mean()), bytes(b.bytesPerOp()))));
            if (mapper.isPresent() && seam.isPresent()) {
                double above = mapper.get().bytesPerOp() - seam.get().bytesPerOp();
                line(String.format("| difference: the DmaMapper above the seam | %s | – | %s |",
                        f(mapper.get().time().median() - seam.get().time().median()), bytes(Math.max(0, above))));
                verdicts.add(String.format(Locale.ROOT, "DmaMapper above the seam, map+unmap (%s): %s bytes/op (target 0): %s",
                        where, bytes(Math.max(0, above)), noAllocation(above) ? "met" : "missed"));
            }
            if (api.isPresent() && seam.isPresent()) {
                double above = api.get().bytesPerOp() - seam.get().bytesPerOp();
                line(String.format("| difference: the public API above the seam | %s | – | %s |",
                        f(api.get().time().median() - seam.get().time().median()), bytes(Math.max(0, above))));
                verdicts.add(String.format(Locale.ROOT, "public API above the seam, map+unmap (%s): %s bytes/op (target 0): %s;"
                        + " the emulator below it: %s bytes/op", where, bytes(Math.max(0, above)),
                        noAllocation(above) ? "met" : "missed", bytes(seam.get().bytesPerOp())));
            }
        }
        large.ifPresent(b -> {
            double mtps = 1000.0 / b.time().median();
            line(String.format("| map+unmap of 65536 4 KiB TCEs in a 64-bit window, per TCE | %s | %s | %s |",
                    f(b.time().median()), f(b.time().mean()), b.bytesPerOp() < 0.05 ? "0" : f(b.bytesPerOp())));
            line("");
            line(String.format(Locale.ROOT, "TCE throughput: %.1f M TCE/s mapped and unmapped (target >= 20).", mtps));
            verdicts.add(String.format(Locale.ROOT, "emulator TCE map+unmap: %.1f M TCE/s (target >= 20): %s", mtps,
                    mtps >= 20 ? "met" : "missed"));
        });
        line("");
        if (!footprint.isEmpty()) {
            line("Retained heap per mapped TCE in a 2^40-byte window of 4 KiB TCEs (2^28 entries); heap used after"
                    + " full GCs, before and after mapping:");
            line("");
            line("| layout | mapped TCEs | stride | heap delta, bytes | bytes per mapped TCE | left after unmapping, bytes |");
            line("|---|---:|---:|---:|---:|---:|");
            Pattern p = Pattern.compile("layout=(\\S+) .*tces=(\\d+) stride=(\\S+) empty_window_bytes=(-?\\d+) heap_delta=(-?\\d+)"
                    + " bytes_per_tce=(\\S+) after_unmap_delta=(-?\\d+)");
            for (String l : footprint) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    if (m.group(2).equals("0")) {
                        line(String.format("| empty window (created, nothing mapped) | 0 | – | %s | – | – |", m.group(4)));
                    } else {
                        line(String.format("| %s | %s | %s | %s | %s | %s |", m.group(1), m.group(2),
                                m.group(1).equals("dense") ? "contiguous" : m.group(3), m.group(5), m.group(6), m.group(7)));
                    }
                }
            }
            line("");
        }
    }
}
