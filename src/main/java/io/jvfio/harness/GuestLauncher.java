package io.jvfio.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Boots a {@link GuestMachine} with a {@link GuestRun} and returns what happened. Implementations
 * differ only in where QEMU runs (a host process, a container); the console, its parsing and the
 * checks are the same, so both give the same {@link GuestResult}.
 */
public interface GuestLauncher {
    /** A short name for logs and reports, e.g. {@code host}. */
    String name();

    /** Why this launcher cannot run {@code machine} here (no QEMU, no Docker...), or empty. */
    Optional<String> unavailableReason(GuestMachine machine);

    /**
     * Boots and waits for the guest to power off, bounded by {@link GuestMachine#timeout()}; no checks
     * beyond that. Throws {@link GuestTimeoutException} (with the partial console) at the timeout and
     * {@link GuestUnavailableException} when it cannot start QEMU at all.
     */
    GuestResult boot(GuestMachine machine, GuestImages images, GuestRun run);

    /**
     * {@link #boot} plus the checks every run gets: the kernel log must be free of Oops, BUG, WARNING
     * and panics ({@link GuestKernelProblemException} quoting the lines), and the run must have
     * completed ({@link GuestRunException}). The console is saved by {@link ConsoleArchive} (always as
     * last.log, and under the run's name on any failure, including a non-zero exit status, which is
     * returned, not thrown: callers decide what it means).
     */
    default GuestResult run(GuestMachine machine, GuestImages images, GuestRun run) {
        images.missing(machine.flavour()).ifPresent(reason -> {
            throw new GuestUnavailableException(reason);
        });
        GuestResult r;
        try {
            r = boot(machine, images, run);
        } catch (GuestException e) {
            e.result().ifPresent(partial -> {
                Path saved = ConsoleArchive.save(partial, e.getMessage());
                e.addSuppressed(new Exception("console saved to " + saved));
            });
            throw e;
        }
        List<String> problems = r.kernelProblems(run.toleratedKernelMessages());
        String failure = null;
        if (!problems.isEmpty()) {
            failure = problems.size() + " kernel problem(s)";
        } else if (!r.completed()) {
            failure = "the run did not complete (no " + GuestResult.EXIT_MARKER + "/" + GuestResult.DMESG_END
                    + " line; QEMU exit code " + r.qemuExitCode() + ")";
        } else if (r.exitStatus() != 0) {
            failure = "the run script exited with " + r.exitStatus();
        }
        Path saved = ConsoleArchive.save(r, failure);
        if (!problems.isEmpty()) {
            GuestKernelProblemException e = new GuestKernelProblemException(r, problems);
            e.addSuppressed(new Exception("console saved to " + saved));
            throw e;
        }
        if (!r.completed()) {
            String tail = String.join("\n", r.lines().subList(Math.max(0, r.lines().size() - 25), r.lines().size())
                    .stream().map(ConsoleLine::text).toList());
            throw new GuestRunException(failure + " in '" + r.name() + "' (" + name() + "); console saved to " + saved
                    + "\n--- last console lines ---\n" + tail
                    + (r.qemuStderr().isBlank() ? "" : "\n--- qemu stderr ---\n" + r.qemuStderr().strip()), r);
        }
        return r;
    }
}
