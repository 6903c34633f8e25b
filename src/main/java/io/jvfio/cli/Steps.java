package io.jvfio.cli;

import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.ScenarioSyntaxException;
import io.jvfio.scenario.StepResult;
import java.util.List;

/** Fixed step sequences the commands run through a {@link ScenarioRunner.Session}. */
final class Steps {
    private Steps() {}

    /** Executes a line jvfio itself wrote; a syntax error there is a jvfio bug. */
    static StepResult run(ScenarioRunner.Session s, String line) {
        try {
            return s.execute(line);
        } catch (ScenarioSyntaxException e) {
            throw new IllegalStateException("jvfio wrote a bad step '" + line + "': " + e.getMessage(), e);
        }
    }

    /**
     * Executes {@code lines} in order and stops at the first that does not give {@code ok}.
     *
     * @return the failing step's result, or null when all were ok
     */
    static StepResult runAll(ScenarioRunner.Session s, List<String> lines) {
        for (String l : lines) {
            StepResult r = run(s, l);
            if (r.status() != StepResult.Status.OK) {
                return r;
            }
        }
        return null;
    }

    /** {@code open-group N}, {@code set-container}, {@code set-iommu TYPE}. */
    static List<String> attach(int group, String type) {
        return List.of("open-group " + group, "set-container", "set-iommu " + type);
    }

    /** {@code OP ARGS -> RESULT} of a result, for messages. */
    static String describe(StepResult r) {
        return r.command() + " -> " + r.resultText()
                + (r.status() == StepResult.Status.KERNEL_BUG ? " (" + r.kernelBug() + ")" : "");
    }
}
