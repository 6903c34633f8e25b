package io.jvfio.scenario;

import io.jvfio.backend.Errno;
import java.util.Map;

/**
 * A step's {@code -> EXPECT}: {@code any}, {@code ok [FIELD=N...]}, {@code ret=N} or an errno name.
 *
 * @param text the EXPECT as written, tokens joined by one space (the JSON {@code expected} value)
 */
public record Expect(Kind kind, Map<String, Long> fields, long ret, int errno, String text) {

    public enum Kind { ANY, OK, RET, ERRNO }

    public Expect {
        fields = Map.copyOf(fields);
    }

    /** Whether {@code r} satisfies this expectation. Out fields and {@code ret=} compare numerically. */
    public boolean matches(StepResult r) {
        return switch (kind) {
            case ANY -> true;
            case RET -> r.status() == StepResult.Status.RET && r.ret() == ret;
            case ERRNO -> r.status() == StepResult.Status.ERRNO && r.errno() != null && r.errno() == errno;
            case OK -> r.status() == StepResult.Status.OK && fields.entrySet().stream().allMatch(e -> {
                Long actual = r.out().get(e.getKey());
                if (actual == null && r.op() == Op.EEH && e.getKey().equals("value")) {
                    actual = 0L; // eeh prints value= only when positive
                }
                return actual != null && actual.longValue() == e.getValue().longValue();
            });
        };
    }

    static boolean isErrnoName(String s) {
        int v = Errno.valueOf(s);
        return v > 0 && Errno.name(v).equals(s);
    }
}
