package io.jvfio.scenario;

import java.util.List;

/**
 * A parsed scenario file.
 *
 * @param name   where it came from (the path as given), for messages
 * @param source the file's text, kept so a scenario can be shrunk line by line
 * @param process the process its {@code #%} header states ({@link ProcessSpec#INHERIT} without one)
 * @param platform the emulator profile its {@code #% platform} line names (the groups and functions it
 *     needs, e.g. {@code qemu-pseries-topology}), or null for the platform it is run on
 */
public record Scenario(String name, String source, List<Step> steps, ProcessSpec process, String platform) {
    /** A scenario that states nothing about its process. */
    public Scenario(String name, String source, List<Step> steps) {
        this(name, source, steps, ProcessSpec.INHERIT);
    }

    /** A scenario for the platform it is run on. */
    public Scenario(String name, String source, List<Step> steps, ProcessSpec process) {
        this(name, source, steps, process, null);
    }

    /** {@link #platform()}, or {@code fallback} when the file names none. */
    public String platformOr(String fallback) {
        return platform == null ? fallback : platform;
    }

    public Scenario {
        steps = List.copyOf(steps);
        java.util.Objects.requireNonNull(process, "process");
    }
}
