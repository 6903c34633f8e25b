package io.jvfio.bench;

import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.HostQemuLauncher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NVMe benchmark of issue 11, in one boot of the QEMU pseries guest on one QEMU {@code nvme}
 * device (its own PHB, a raw image on the host): jvfio's polled driver
 * ({@code io.jvfio.driver.nvme.bench.NvmeBench}) and the guest kernel's nvme driver read with O_DIRECT
 * ({@code native/guest-bench/nvmebench.c}), one boot per round; between them the device is
 * rebound from vfio-pci to nvme. 4 KiB random reads at queue depth 1 and 32, 128 KiB
 * sequential reads. Prints a Markdown table (IOPS and median latency, each side's median over the
 * rounds, and jvfio/kernel ratios) and writes it to {@code target/bench/guest-nvme.md}.
 *
 * <p>Usage: {@code GuestNvmeBench [ROUNDS [SECONDS]]} (default 2 rounds, 5 s per workload after 3 s of
 * warmup); {@code scripts/bench-nvme-guest.sh} (or {@code make bench-nvme-guest}) builds what it needs.
 * The kernel's modules ({@code nvme-auth}, {@code nvme-core}, {@code nvme}) are read decompressed from
 * {@code target/bench/nvme-modules} (the script extracts them from the image cache).
 */
public final class GuestNvmeBench {
    private static final Pattern RESULT = Pattern.compile("nvmebench (jvfio|kernel) (\\S+) iops=(\\d+) median_ns=(\\d+)");
    static final String BDF = "0001:00:00.0";
    static final List<String> MODULES = List.of("nvme-auth.ko", "nvme-core.ko", "nvme.ko");

    private GuestNvmeBench() {}

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        String seconds = args.length > 1 ? args[1] : "5";
        Path c = Path.of("target/native/nvmebench-ppc64le");
        Path jar = Path.of("target/jvfio-all.jar");
        Path modules = Path.of("target/bench/nvme-modules");
        List<Path> needed = new ArrayList<>(List.of(c, jar));
        MODULES.forEach(m -> needed.add(modules.resolve(m)));
        for (Path p : needed) {
            if (!Files.isRegularFile(p)) {
                System.err.println("bench-nvme-guest: " + p + " is missing: run scripts/bench-nvme-guest.sh");
                System.exit(1);
            }
        }
        Path image = Path.of("target/bench/nvme-bench.img").toAbsolutePath();
        fill(image, 256L << 20);
        String jvm = GuestMapBench.c2JvmFlags();
        // One boot per round: after the kernel's nvme driver has had the device, the pSeries kernel
        // refuses VFIO a DDW for it (CREATE: ENODEV) for the rest of the boot.
        StringBuilder s = new StringBuilder("set -e\nBDF=" + BDF + "\nD=/sys/bus/pci/devices/$BDF\n");
        s.append("for m in ").append(String.join(" ", MODULES)).append("; do insmod ./$m; done\n");
        // insmod nvme probes nothing yet: the device's driver_override still says vfio-pci.
        s.append("""
                to() { # to DRIVER: rebind the controller
                  echo $BDF > $D/driver/unbind
                  echo $1 > $D/driver_override
                  echo $BDF > /sys/bus/pci/drivers_probe
                  echo "@@BOUND $(basename $(readlink $D/driver))"
                }
                """);
        s.append("\"$JAVA\" ").append(jvm).append(" -cp jvfio-all.jar io.jvfio.driver.nvme.bench.NvmeBench ")
                .append(seconds).append(" 3 2>&1\n");
        s.append("to nvme\nfor i in $(seq 100); do [ -b /dev/nvme0n1 ] && break; sleep 0.2; done\n");
        s.append("./nvmebench /dev/nvme0n1 ").append(seconds)
                .append(" 3 2>&1 || { echo 'nvmebench kernel failed:'; dmesg | tail -25; }\n");
        GuestRun.Builder b = GuestRun.builder("bench-nvme-guest").file(jar, "jvfio-all.jar").file(c, "nvmebench");
        for (String m : MODULES) {
            b.file(modules.resolve(m), m);
        }
        GuestRun run = b.script(s.toString()).build();
        GuestMachine machine = GuestMachine.builder().extraArgs("-device", "spapr-pci-host-bridge,index=1,id=phb1",
                "-drive", "file=" + image + ",if=none,id=nvme0,format=raw",
                "-device", "nvme,serial=jvfio-bench,drive=nvme0,bus=phb1.0").build();
        System.err.println("[bench-nvme-guest] " + String.join(" ", machine.qemuCommand("vmlinux", "initrd", null, null)));
        Map<String, Map<String, List<long[]>>> results = new LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            System.err.println("[bench-nvme-guest] round " + r + " of " + rounds + " (one boot)");
            GuestResult result = new HostQemuLauncher().run(machine, GuestImages.locate(), run);
            if (result.exitStatus() != 0) {
                System.err.println("bench-nvme-guest: the guest run failed (exit " + result.exitStatus() + "):");
                result.runOutput().forEach(l -> System.err.println("  " + l));
                System.exit(1);
            }
            collect(result, results);
        }
        String table = table(results);
        System.out.print(table);
        Path out = Path.of("target/bench/guest-nvme.md");
        Files.writeString(out, table);
        System.err.println("[bench-nvme-guest] wrote " + out);
    }

    /** Adds a run's result lines: results.get(side).get(workload) = {iops, median ns} per round. */
    static void collect(GuestResult result, Map<String, Map<String, List<long[]>>> results) {
        for (String line : result.runOutput()) {
            Matcher m = RESULT.matcher(line);
            if (m.find()) {
                results.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).computeIfAbsent(m.group(2), k -> new ArrayList<>())
                        .add(new long[] {Long.parseLong(m.group(3)), Long.parseLong(m.group(4))});
            } else {
                System.err.println("  " + line);
            }
        }
    }

    /** A raw image of {@code size} bytes with non-zero data everywhere (no holes to read for free). */
    static void fill(Path image, long size) throws IOException {
        Files.createDirectories(image.getParent());
        if (Files.isRegularFile(image) && Files.size(image) == size) {
            return;
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (int i = 0; i < chunk.capacity(); i++) {
                chunk.put(i, (byte) (i * 31 + 7));
            }
            for (long at = 0; at < size; at += chunk.capacity()) {
                chunk.clear();
                ch.write(chunk, at);
            }
        }
    }

    static String table(Map<String, Map<String, List<long[]>>> r) {
        Map<String, List<long[]>> j = r.getOrDefault("jvfio", Map.of());
        Map<String, List<long[]>> k = r.getOrDefault("kernel", Map.of());
        StringBuilder s = new StringBuilder();
        s.append("| workload | jvfio IOPS | kernel IOPS | IOPS jvfio/kernel | jvfio median µs | kernel median µs | "
                + "latency jvfio/kernel |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (String w : j.keySet()) {
            long ji = median(j.get(w), 0);
            long jl = median(j.get(w), 1);
            // jvfio's interrupt-driven run against the kernel's reader, which sleeps until its interrupt too
            List<long[]> kr = k.getOrDefault(w.endsWith("-msix") ? w.substring(0, w.length() - "-msix".length()) : w, List.of());
            long ki = kr.isEmpty() ? 0 : median(kr, 0);
            long kl = kr.isEmpty() ? 0 : median(kr, 1);
            s.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %.1f | %.1f | %s |%n", w, ji, ki,
                    ki == 0 ? "–" : String.format(Locale.ROOT, "%.2f", (double) ji / ki), jl / 1000.0, kl / 1000.0,
                    kl == 0 ? "–" : String.format(Locale.ROOT, "%.2f", (double) jl / kl)));
        }
        s.append(String.format("%nmedians over %d round(s); each round one boot: jvfio's run, then the kernel's%n",
                j.values().stream().mapToInt(List::size).max().orElse(0)));
        return s.toString();
    }

    static long median(List<long[]> v, int field) {
        List<Long> sorted = new ArrayList<>(v.stream().map(a -> a[field]).toList());
        sorted.sort(null);
        return sorted.get((sorted.size() - 1) / 2);
    }
}
