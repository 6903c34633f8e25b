package io.jvfio.harness.nested;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SPAPR operation QEMU in L1 performed, from its trace (l1-run.sh prints them as
 * {@code NESTED-OP <seconds> <op> <args>}). The ops, in the words of the series:
 * <ul>
 *   <li>{@code register-memory}: VFIO_IOMMU_SPAPR_REGISTER_MEMORY of L2's RAM (vfio_prereg_register)</li>
 *   <li>{@code remove-default-window}: the container's default window removed before any create</li>
 *   <li>{@code create-window} / {@code remove-window}: a host window mirroring one of L2's windows</li>
 *   <li>{@code attach-group-to-kvm-tce-table}: KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, the in-kernel TCE path</li>
 *   <li>{@code unregister-memory}</li>
 *   <li>{@code L2:ddw-query|ddw-create|ddw-remove|ddw-reset}: the RTAS calls L2 made to L1's QEMU</li>
 * </ul>
 *
 * @param atSeconds seconds after the first traced event (-1 when the trace had no timestamps)
 * @param op the operation name
 * @param args the event's arguments as QEMU printed them
 */
public record SpaprOp(double atSeconds, String op, String args) {
    public static final String PREFIX = "NESTED-OP ";
    private static final Pattern LINE = Pattern.compile("NESTED-OP (\\S+) (\\S+) ?(.*)");
    private static final Pattern PAGE_SHIFT = Pattern.compile("pageshift=0x([0-9a-f]+)");
    private static final Pattern LEVELS = Pattern.compile("levels=(\\d+)");
    private static final Pattern WINSIZE = Pattern.compile("winsize=0x([0-9a-f]+)");
    private static final Pattern OFFSET = Pattern.compile("offset=0x([0-9a-f]+)");
    private static final Pattern SIZE = Pattern.compile("size=0x([0-9a-f]+)");
    private static final Pattern VA = Pattern.compile("va=0x([0-9a-f]+)");
    private static final Pattern ATTACH = Pattern.compile("groupfd (\\d+) to liobn fd (\\d+)");

    /** Parses one {@code NESTED-OP} line (anywhere in {@code text}). */
    public static Optional<SpaprOp> parse(String text) {
        int i = text.indexOf(PREFIX);
        if (i < 0) {
            return Optional.empty();
        }
        Matcher m = LINE.matcher(text.substring(i));
        if (!m.matches()) {
            return Optional.empty();
        }
        double at;
        try {
            at = m.group(1).equals("-") ? -1 : Double.parseDouble(m.group(1));
        } catch (NumberFormatException e) {
            at = -1;
        }
        return Optional.of(new SpaprOp(at, m.group(2), m.group(3).strip()));
    }

    /** Whether QEMU in L1 did this to L1's container (not an RTAS call of L2's). */
    public boolean onL1Container() {
        return !op.startsWith("L2:");
    }

    /** A created window's size in bytes, when this is a create-window. */
    public Optional<Long> windowSize() {
        return hex(WINSIZE);
    }

    /** A window's bus offset, for create-window and remove-window. */
    public Optional<Long> offset() {
        return hex(OFFSET);
    }

    /** A created window's TCE levels. */
    public Optional<Integer> levels() {
        Matcher m = LEVELS.matcher(args);
        return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }

    /** A created window's TCE page shift. */
    public Optional<Integer> pageShift() {
        return hex(PAGE_SHIFT).map(Long::intValue);
    }

    private Optional<Long> hex(Pattern p) {
        Matcher m = p.matcher(args);
        return m.find() ? Optional.of(Long.parseUnsignedLong(m.group(1), 16)) : Optional.empty();
    }

    /** A short form: {@code create-window 4K x 0x1000000 @0x0 (1 level)}. */
    public String brief() {
        return switch (op) {
            case "create-window" -> "create-window " + pageShift().map(s -> size(1L << s)).orElse("?") + " TCEs, "
                    + windowSize().map(NestedTiming::bytes).orElse("?") + " @0x" + offset().map(Long::toHexString).orElse("?")
                    + ", " + levels().map(l -> l + (l == 1 ? " level" : " levels")).orElse("? levels");
            case "remove-window", "remove-default-window" -> op + " @0x" + offset().map(Long::toHexString).orElse("?");
            case "register-memory", "unregister-memory" -> op + " " + hex(SIZE).map(NestedTiming::bytes).orElse("?")
                    + " at va 0x" + hex(VA).map(Long::toHexString).orElse("?")
                    + (args.contains("ret=0") || !args.contains("ret=") ? "" : " (" + args.substring(args.indexOf("ret=")) + ")");
            case "attach-group-to-kvm-tce-table" -> {
                Matcher m = ATTACH.matcher(args);
                yield m.find() ? "attach group fd " + m.group(1) + " to KVM TCE table fd " + m.group(2) : op + " " + args;
            }
            default -> op + (args.isEmpty() ? "" : " " + args);
        };
    }

    private static String size(long b) {
        return NestedTiming.bytes(b);
    }

    @Override
    public String toString() {
        return (atSeconds < 0 ? "" : String.format(java.util.Locale.ROOT, "%7.3f s  ", atSeconds)) + brief();
    }
}
