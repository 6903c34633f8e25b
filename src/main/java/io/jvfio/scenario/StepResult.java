package io.jvfio.scenario;

import io.jvfio.backend.Errno;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one step gave: data, so two runs of the same scenario (kernel and emulator) can be compared
 * step by step ({@link #sameOutcome}).
 *
 * @param step      1-based index of the operation
 * @param line      1-based line in the file
 * @param op        the operation
 * @param args      the argument tokens as written
 * @param status    ok, a positive return, an errno, or a kernel bug (emulator only)
 * @param ret       the positive return for {@link Status#RET}, else 0
 * @param errno     the errno for {@link Status#ERRNO}, else null
 * @param out       the out fields in print order (empty unless ok)
 * @param expected  the EXPECT as written, or null
 * @param match     whether the EXPECT held, or null without one
 * @param kernelBug the emulator's description of the kernel oops, for {@link Status#KERNEL_BUG}
 */
public record StepResult(int step, int line, Op op, List<String> args, Status status, long ret, Integer errno,
                         Map<String, Long> out, String expected, Boolean match, String kernelBug) {

    public enum Status { OK, RET, ERRNO, KERNEL_BUG }

    /** The text printed for a step where the real kernel would have crashed. */
    public static final String KERNEL_BUG = "KERNEL-BUG";

    public StepResult {
        args = List.copyOf(args);
        out = Collections.unmodifiableMap(new LinkedHashMap<>(out));
    }

    public static StepResult ok(Step s, Map<String, Long> out) {
        return new StepResult(s.index(), s.line(), s.op(), s.args(), Status.OK, 0, null, out, null, null, null);
    }

    public static StepResult ret(Step s, long ret) {
        return new StepResult(s.index(), s.line(), s.op(), s.args(), Status.RET, ret, null, Map.of(), null, null, null);
    }

    public static StepResult errno(Step s, int errno) {
        return new StepResult(s.index(), s.line(), s.op(), s.args(), Status.ERRNO, 0, errno, Map.of(), null, null, null);
    }

    public static StepResult kernelBug(Step s, String message) {
        return new StepResult(s.index(), s.line(), s.op(), s.args(), Status.KERNEL_BUG, 0, null, Map.of(), null, null,
                message == null ? "" : message);
    }

    /** This result checked against {@code e} (null: unchecked). A kernel bug never matches. */
    public StepResult checkedAgainst(Expect e) {
        if (e == null) {
            return this;
        }
        boolean m = status != Status.KERNEL_BUG && e.matches(this);
        return new StepResult(step, line, op, args, status, ret, errno, out, e.text(), m, kernelBug);
    }

    /** The JSON {@code result}: {@code ok}, {@code ret=N}, the errno's name, or {@code KERNEL-BUG}. */
    public String result() {
        return switch (status) {
            case OK -> "ok";
            case RET -> "ret=" + Long.toUnsignedString(ret);
            case ERRNO -> Errno.name(errno);
            case KERNEL_BUG -> KERNEL_BUG;
        };
    }

    /** {@code RESULT} of the result line: {@link #result()} followed by the out fields. */
    public String resultText() {
        StringBuilder b = new StringBuilder(result());
        out.forEach((k, v) -> b.append(' ').append(k).append('=').append(Op.format(k, v)));
        return b.toString();
    }

    /** {@code OP ARGS}. */
    public String command() {
        return args.isEmpty() ? op.text() : op.text() + " " + String.join(" ", args);
    }

    /** The result line: {@code STEP: OP ARGS -> RESULT}. */
    public String text() {
        return step + ": " + command() + " -> " + resultText();
    }

    /** True if this step failed its EXPECT. */
    public boolean mismatch() {
        return Boolean.FALSE.equals(match);
    }

    /** Same result (status, return, errno, out fields), regardless of expectations: for {@code jvfio diff}. */
    public boolean sameOutcome(StepResult o) {
        return status == o.status && ret == o.ret && Objects.equals(errno, o.errno) && out.equals(o.out);
    }
}
