package io.jvfio.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** The two printed forms of a step's result: text lines and JSON lines (scenario-format.md, "Results"). */
public final class ResultFormat {
    private ResultFormat() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The text lines of one step: {@code STEP: OP ARGS -> RESULT}, then {@code MISMATCH expected ...}
     * after a failed check, or {@code KERNEL-BUG <message>} after a step the real kernel would have
     * crashed on.
     */
    public static List<String> text(StepResult r) {
        List<String> lines = new ArrayList<>(2);
        lines.add(r.text());
        if (r.mismatch()) {
            lines.add("MISMATCH expected " + r.expected());
        }
        if (r.status() == StepResult.Status.KERNEL_BUG) {
            lines.add(StepResult.KERNEL_BUG + " " + r.kernelBug());
        }
        return lines;
    }

    /**
     * One JSON line with the keys, in order, {@code step, line, op, args, result, errno, out, expected,
     * match}. {@code errno} is the number or null; {@code out} holds each out field as the text line
     * prints it ({@code "start":"0x800000000000000"}); {@code expected} is the EXPECT as written or null;
     * {@code match} is null for an unchecked step. A KERNEL-BUG step adds {@code message}.
     */
    public static String json(StepResult r) {
        return json(r, null);
    }

    /** As {@link #json(StepResult)}, with a leading {@code file} key when {@code file} is not null. */
    public static String json(StepResult r, String file) {
        ObjectNode o = JSON.createObjectNode();
        if (file != null) {
            o.put("file", file);
        }
        o.put("step", r.step());
        o.put("line", r.line());
        o.put("op", r.op().text());
        ArrayNode args = o.putArray("args");
        r.args().forEach(args::add);
        o.put("result", r.result());
        if (r.errno() == null) {
            o.putNull("errno");
        } else {
            o.put("errno", r.errno());
        }
        ObjectNode out = o.putObject("out");
        r.out().forEach((k, v) -> out.put(k, Op.format(k, v)));
        if (r.expected() == null) {
            o.putNull("expected");
        } else {
            o.put("expected", r.expected());
        }
        if (r.match() == null) {
            o.putNull("match");
        } else {
            o.put("match", r.match());
        }
        if (r.status() == StepResult.Status.KERNEL_BUG) {
            o.put("message", r.kernelBug());
        }
        return o.toString();
    }
}
