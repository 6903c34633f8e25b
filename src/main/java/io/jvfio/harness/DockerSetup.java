package io.jvfio.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        return Path.of(System.getProperty("jvfio.project.dir", ".")).resolve("qemu-images/docker");
    }

    /** The QEMU image, building it on first use (bounded by {@code -Djvfio.guest.dockerSetupTimeout} seconds, 900). */
    static synchronized Outcome prepare() {
        if (outcome != null) {
            return outcome;
        }
        long t0 = System.nanoTime();
        Path script = scriptsDir().resolve("build-image.sh");
        if (!Files.isExecutable(script)) {
            return outcome = new Outcome(null, "no " + script + " (set -Djvfio.project.dir)", Duration.ZERO);
        }
        long limit = Long.getLong("jvfio.guest.dockerSetupTimeout", 900);
        try {
            Path log = Files.createTempFile("jvfio-docker-setup", ".log");
            Process p = new ProcessBuilder(List.of(script.toString())).redirectErrorStream(false)
                    .redirectError(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            boolean done = p.waitFor(limit, TimeUnit.SECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            String err = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            if (!err.isBlank()) {
                System.err.print(err.lines().map(l -> "  " + l + "\n").reduce("", String::concat));
            }
            if (!done || p.exitValue() != 0) {
                return outcome = new Outcome(null, (done ? script + " failed (exit " + p.exitValue() + ")"
                        : script + " did not finish within " + limit + " s") + ":\n" + tail(err, 15), took);
            }
            String[] lines = new String(out, StandardCharsets.UTF_8).strip().split("\n");
            return outcome = new Outcome(lines[lines.length - 1].strip(), null, took);
        } catch (IOException e) {
            return outcome = new Outcome(null, "cannot run " + script + ": " + e.getMessage(),
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(null, "interrupted", Duration.ZERO);
        }
    }

    private static String tail(String s, int n) {
        List<String> l = s.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }
}
