package io.jvfio.scenario;

import io.jvfio.backend.Errno;
import io.jvfio.backend.KernelFix;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A step's {@code -> EXPECT}: {@code any}, {@code ok [FIELD=N...]}, {@code ret=N} or an errno name,
 * optionally followed by what kernels with a known change answer instead
 * ({@code ok | 0b271f7d7f5e: ret=1}, see {@link KernelFix}), or kernels of another page size
 * ({@code EINVAL | 64K: ok}).
 *
 * @param text the EXPECT as written, tokens joined by one space (the JSON {@code expected} value)
 * @param withFix the expectation on kernels that carry each change, in the order written
 * @param withPageSize the expectation on kernels whose PAGE_SIZE is the key (bytes)
 */
public record Expect(Kind kind, Map<String, Long> fields, long ret, int errno, String text, Map<KernelFix, Expect> withFix,
        Map<Long, Expect> withPageSize) {

    public enum Kind { ANY, OK, RET, ERRNO }

    public Expect {
        fields = Map.copyOf(fields);
        withFix = Collections.unmodifiableMap(new LinkedHashMap<>(withFix));
        withPageSize = Map.copyOf(withPageSize);
    }

    /** An expectation that is the same on every kernel. */
    public Expect(Kind kind, Map<String, Long> fields, long ret, int errno, String text) {
        this(kind, fields, ret, errno, text, Map.of(), Map.of());
    }

    /**
     * The expectation for kernel {@code release} with {@code pageSize}-byte pages: an alternative for that
     * page size decides, else {@link #forKernel(String)}.
     */
    public Expect forKernel(String release, long pageSize) {
        Expect e = withPageSize.get(pageSize);
        return e != null ? e : forKernel(release);
    }

    /** The expectation for kernel {@code release}: the first change it carries decides, else this one. */
    public Expect forKernel(String release) {
        for (Map.Entry<KernelFix, Expect> e : withFix.entrySet()) {
            if (e.getKey().fixedIn(release)) {
                return e.getValue();
            }
        }
        return this;
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
