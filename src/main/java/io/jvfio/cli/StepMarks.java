package io.jvfio.cli;

import io.jvfio.scenario.Step;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code jvfio run --mark-steps PATH}: one line {@code jvfio-step FILE STEP} written to PATH before each
 * step. Written to {@code /dev/kmsg}, each line is a record of the kernel log between the messages
 * of the step before and of this one. The file is opened for each mark: the kernel rate-limits
 * writes to /dev/kmsg per open file (10 in 5 s by default), and a mark must never be dropped.
 */
final class StepMarks {
    /** How a mark starts; {@code io.jvfio.harness.StepKernelMessages} reads it back. */
    static final String PREFIX = "jvfio-step ";

    private final Path path;
    private final String file;

    /** Marks for {@code file} to {@code path}; none when {@code path} is null. */
    StepMarks(Path path, String file) {
        this.path = path;
        this.file = file.replaceAll("\\s", "_");
    }

    void mark(Step step) {
        if (path == null) {
            return;
        }
        try (FileOutputStream out = new FileOutputStream(path.toFile(), true)) {
            out.write((PREFIX + file + " " + step.index() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the step mark to " + path + ": " + e.getMessage()
                    + "; check the path and its permissions", e);
        }
    }
}
