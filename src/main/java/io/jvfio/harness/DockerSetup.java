package io.jvfio.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Makes the Docker side of {@link TestcontainersLauncher} ready, once per JVM, through the scripts in
 * {@code qemu-images/docker/}: {@code build-image.sh} starts Debian's dockerd when no daemon answers
 * (installing docker.io first when root and missing), then builds the QEMU image from Debian packages
 * only (debootstrap + docker import, then the Dockerfile), cached by a content-hash tag.
 */
final class DockerSetup {
    /** The outcome: the image name, or why there is none. */
    record Outcome(String image, String failure, Duration took) {}

    private static volatile Outcome outcome;

    private DockerSetup() {}

    static Path scriptsDir() {
        return ImageScripts.dir().resolve("docker");
    }

    /** The QEMU image, building it on first use (bounded by {@code -Djvfio.guest.dockerSetupTimeout} seconds, 900). */
    static synchronized Outcome prepare() {
        if (outcome != null) {
            return outcome;
        }
        long t0 = System.nanoTime();
        Path script = scriptsDir().resolve("build-image.sh");
        if (!Files.isExecutable(script)) {
            return outcome = new Outcome(null, "no " + script + " (a jvfio jar without its qemu-images scripts?)", Duration.ZERO);
        }
        long limit = Long.getLong("jvfio.guest.dockerSetupTimeout", 900);
        try {
            Path log = Files.createTempFile("jvfio-docker-setup", ".log");
            Path out = Files.createTempFile("jvfio-docker-setup", ".out");
            int rc = QemuProcess.runBounded(new ProcessBuilder(List.of(script.toString())).redirectError(log.toFile())
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))),
                    Duration.ofSeconds(limit));
            boolean done = rc != 124;
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
            String err = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (!err.isBlank()) {
                System.err.print(err.lines().map(l -> "  " + l + "\n").reduce("", String::concat));
            }
            if (rc != 0) {
                return outcome = new Outcome(null, (done ? script + " failed (exit " + rc + ")"
                        : script + " did not finish within " + limit + " s") + ":\n" + tail(err, 15), took);
            }
            String[] lines = stdout.strip().split("\n");
            return outcome = new Outcome(lines[lines.length - 1].strip(), null, took);
        } catch (IOException e) {
            return outcome = new Outcome(null, "cannot run " + script + ": " + e.getMessage(),
                    Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    private static String tail(String s, int n) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
}
