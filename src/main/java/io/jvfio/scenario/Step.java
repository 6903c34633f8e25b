package io.jvfio.scenario;

import java.util.List;

/**
 * One operation line of a scenario.
 *
 * @param index  1-based position among the file's operations (the {@code STEP} of the result line)
 * @param line   1-based line number in the file
 * @param args   the argument tokens as written (raw overrides included), for the result line
 * @param argsz  the {@code argsz=} override, or null
 * @param flags  the {@code flags=} override, or null
 * @param vaddr  the {@code vaddr=} override of register, unregister and map (a jvfio extension), or null
 * @param expect the {@code -> EXPECT}, or null
 */
public record Step(int index, int line, Action action, List<String> args, Long argsz, Long flags, Long vaddr,
        Expect expect) {

    public Step {
        args = List.copyOf(args);
    }

    /** A step without a {@code vaddr=} override. */
    public Step(int index, int line, Action action, List<String> args, Long argsz, Long flags, Expect expect) {
        this(index, line, action, args, argsz, flags, null, expect);
    }

    public Op op() {
        return action.op();
    }

    /** {@code OP ARGS} as the result line shows them: the tokens as written, one space apart. */
    public String text() {
        return args.isEmpty() ? op().text() : op().text() + " " + String.join(" ", args);
    }
}
