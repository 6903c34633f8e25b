package io.jvfio.harness;

import java.util.List;

/**
 * The guest kernel logged an {@code Oops}, {@code BUG:}, {@code WARNING:} or panic during the run.
 * The message quotes the offending lines with their context; {@link #result()} is the complete run.
 */
public final class GuestKernelProblemException extends GuestException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public GuestKernelProblemException(GuestResult result, List<String> problems) {
        super("the guest kernel reported " + problems.size() + " problem(s) during '" + result.name() + "' ("
                + result.launcher() + "):\n" + String.join("\n---\n", problems), result);
        this.problems = List.copyOf(problems);
    }

    /** Each problem: the offending line and the lines after it (the call trace). */
    public List<String> problems() {
        return problems;
    }
}
