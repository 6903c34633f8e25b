package io.jvfio.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps guest consoles for diagnosis: every run overwrites {@code last.log}; a failed run is also
 * kept as {@code <run name>.log}. The directory is {@code -Djvfio.guest.consoleDir}, else
 * {@code target/guest-console} under {@code -Djvfio.project.dir} (else the working directory).
 */
public final class ConsoleArchive {
    private ConsoleArchive() {}

    public static Path directory() {
        String d = System.getProperty("jvfio.guest.consoleDir");
        if (d != null && !d.isBlank()) {
            return Path.of(d);
        }
        return Path.of(System.getProperty("jvfio.project.dir", ".")).resolve("target").resolve("guest-console");
    }

    /**
     * Writes the console of {@code r}; returns the file kept for a failure, else {@code last.log}.
     * Never throws: a console that cannot be saved must not hide the run's own outcome.
     */
    public static Path save(GuestResult r, String failure) {
        Path dir = directory();
        Path last = dir.resolve("last.log");
        try {
            Files.createDirectories(dir);
            byte[] text = render(r, failure).getBytes(StandardCharsets.UTF_8);
            Files.write(last, text);
            if (failure != null) {
                Path kept = dir.resolve(r.name() + (r.launcher().isEmpty() ? "" : "-" + r.launcher()) + ".log");
                Files.write(kept, text);
                return kept;
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("[guest] could not save the console to " + dir + ": " + e);
        }
        return last;
    }

    static String render(GuestResult r, String failure) {
        StringBuilder b = new StringBuilder();
        b.append("# run: ").append(r.summary()).append('\n');
        if (failure != null) {
            b.append("# FAILED: ").append(failure.replace("\n", "\n#   ")).append('\n');
        }
        b.append("# qemu exit code: ").append(r.qemuExitCode()).append('\n');
        b.append("# command: ").append(String.join(" ", r.command().stream().map(GuestRun::shellQuote).toList()))
                .append('\n');
        b.append("# each line: [seconds after QEMU start] text\n");
        for (ConsoleLine l : r.lines()) {
            b.append(l).append('\n');
        }
        if (!r.qemuStderr().isEmpty()) {
            b.append("# qemu stderr:\n").append(r.qemuStderr());
            if (!r.qemuStderr().endsWith("\n")) {
                b.append('\n');
            }
        }
        return b.toString();
    }
}
