package io.jvfio.scenario;

import java.util.List;

/**
 * A parsed scenario file.
 *
 * @param name   where it came from (the path as given), for messages
 * @param source the file's text, kept so a scenario can be shrunk line by line
 */
public record Scenario(String name, String source, List<Step> steps) {
    public Scenario {
        steps = List.copyOf(steps);
    }
}
