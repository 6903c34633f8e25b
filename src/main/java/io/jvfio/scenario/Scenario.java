package io.jvfio.scenario;

import java.util.List;

/**
 * A parsed scenario file.
 *
 * @param name   where it came from (the path as given), for messages
 * @param source the file's text, kept so a scenario can be shrunk line by line
 * @param process the process its {@code #%} header states ({@link ProcessSpec#INHERIT} without one)
 */
public record Scenario(String name, String source, List<Step> steps, ProcessSpec process) {
    /** A scenario that states nothing about its process. */
    public Scenario(String name, String source, List<Step> steps) {
        this(name, source, steps, ProcessSpec.INHERIT);
    }

    public Scenario {
        steps = List.copyOf(steps);
        java.util.Objects.requireNonNull(process, "process");
    }
}
