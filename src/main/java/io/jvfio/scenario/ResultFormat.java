package io.jvfio.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.LongNode;
import java.math.BigInteger;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /** A 64-bit value as an unsigned JSON number (a big integer above {@code Long.MAX_VALUE}). */
    public static JsonNode unsigned(long v) {
        return v >= 0 ? LongNode.valueOf(v) : BigIntegerNode.valueOf(new BigInteger(Long.toUnsignedString(v)));
    }

    /** Puts every out field of a step into {@code target} as an unsigned JSON number. */
    public static void putOut(ObjectNode target, Map<String, Long> out) {
        out.forEach((k, v) -> target.set(k, unsigned(v)));
    }

    /**
     * One JSON line with the keys, in order, {@code step, line, op, args, result, errno, out, expected,
     * match}. {@code errno} is the number or null; {@code out} holds each out field as a JSON number,
     * unsigned ({@code "start":576460752303423488}: scripts compare numbers, not spellings); {@code expected} is the EXPECT as written or null;
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
        putOut(o.putObject("out"), r.out());
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
