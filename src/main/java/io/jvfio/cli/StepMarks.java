package io.jvfio.cli;

import io.jvfio.scenario.Step;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code jvfio run --mark-steps PATH}: one line {@code jvfio-step FILE STEP} written to PATH before each
 * step. Written to {@code /dev/kmsg}, each line is a record of the kernel log between the messages
 * of the step before and of this one. The file is opened for each mark: the kernel rate-limits
 * writes to /dev/kmsg per open file (10 in 5 s by default), and a mark must never be dropped.
 *
 * <p>Marks are written by one thread started before the first file's {@code #%} header is taken on:
 * the header drops the running thread's fsuid and capabilities (ProcessApplier), and /dev/kmsg is
 * root's, so a mark written by the scenario's own thread would be refused.
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
        if (path != null) {
            Writer.start();
        }
    }

    void mark(Step step) {
        if (path == null) {
            return;
        }
        String line = PREFIX + file + " " + step.index() + "\n";
        try {
            Writer.THREAD.submit(() -> write(line)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the step mark to " + path, e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof UncheckedIOException u ? u : new IllegalStateException(e.getCause());
        }
    }

    private Void write(String line) {
        try (FileOutputStream out = new FileOutputStream(path.toFile(), true)) {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the step mark to " + path + ": " + e.getMessage()
                    + "; check the path and its permissions", e);
        }
        return null;
    }

    /** The writer thread, created (with the process's own credentials) on first use. */
    private static final class Writer {
        static final ThreadPoolExecutor THREAD = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "jvfio-step-marks");
                    t.setDaemon(true);
                    return t;
                });

        static void start() {
            THREAD.prestartCoreThread();
        }
    }
}
