package io.jvfio.harness;

import java.time.Duration;
import java.util.Optional;

/**
 * Where the time of a run went, measured on the host from the moment QEMU was started (for a
 * container: from the container start request). A milestone that never came is empty.
 *
 * @param toInit the guest's /init printed its first line (firmware + kernel boot)
 * @param toRunOutput the run script printed its first line (/init: modules, vfio-pci binding, hugepages)
 * @param toExitLine /init printed {@code JVFIO-EXIT} (the run script finished)
 * @param total QEMU exited (or was killed)
 */
public record GuestTiming(Duration toInit, Duration toRunOutput, Duration toExitLine, Duration total) {
    public Optional<Duration> init() {
        return Optional.ofNullable(toInit);
    }

    public Optional<Duration> runOutput() {
        return Optional.ofNullable(toRunOutput);
    }

    public Optional<Duration> exitLine() {
        return Optional.ofNullable(toExitLine);
    }

    /** Time spent in the run script: from its first output to the exit line. */
    public Optional<Duration> inRun() {
        return toRunOutput == null || toExitLine == null ? Optional.empty() : Optional.of(toExitLine.minus(toRunOutput));
    }

    static String seconds(Duration d) {
        return d == null ? "-" : String.format("%.1f s", d.toMillis() / 1000.0);
    }

    @Override
    public String toString() {
        return "QEMU start -> /init " + seconds(toInit) + ", -> run output " + seconds(toRunOutput)
                + ", -> exit line " + seconds(toExitLine) + ", -> QEMU exit " + seconds(total);
    }
}
