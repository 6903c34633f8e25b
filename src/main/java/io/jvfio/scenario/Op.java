package io.jvfio.scenario;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The operations of the scenario language (scenario-format.md, "Operations"): the name as written,
 * whether the ioctl takes a struct (so that {@code argsz=}/{@code flags=} mean something), and the out
 * fields in the order the result line prints them.
 */
public enum Op {
    API_VERSION("api-version", Kind.NO_STRUCT, "value"),
    CHECK_EXTENSION("check-extension", Kind.NO_STRUCT, "value"),
    OPEN_GROUP("open-group", Kind.NO_STRUCT),
    GROUP_STATUS("group-status", Kind.STRUCT, "flags"),
    SET_CONTAINER("set-container", Kind.NO_STRUCT),
    UNSET_CONTAINER("unset-container", Kind.NO_STRUCT),
    SET_IOMMU("set-iommu", Kind.NO_STRUCT),
    TCE_INFO("tce-info", Kind.STRUCT, "flags", "dma32_start", "dma32_size", "pgsizes", "max_windows", "levels"),
    ENABLE("enable", Kind.NO_STRUCT),
    DISABLE("disable", Kind.NO_STRUCT),
    ALLOC("alloc", Kind.NOT_IOCTL),
    FREE("free", Kind.NOT_IOCTL),
    REGISTER("register", Kind.STRUCT),
    UNREGISTER("unregister", Kind.STRUCT),
    MAP("map", Kind.STRUCT),
    UNMAP("unmap", Kind.STRUCT),
    CREATE("create", Kind.STRUCT, "start"),
    REMOVE("remove", Kind.STRUCT),
    DEVICE("device", Kind.NO_STRUCT),
    DEVICE_INFO("device-info", Kind.STRUCT, "flags", "regions", "irqs"),
    REGION_INFO("region-info", Kind.STRUCT, "size", "offset", "flags"),
    CLOSE_DEVICE("close-device", Kind.NO_STRUCT),
    EEH("eeh", Kind.STRUCT, "value"),
    /** jvfio extension: makes an opened group current again (no syscall). */
    GROUP("group", Kind.NOT_IOCTL),
    /** jvfio extension: makes container N current, opening /dev/vfio/vfio the first time N is named. */
    CONTAINER("container", Kind.NOT_IOCTL);

    /** How {@code argsz=}/{@code flags=} apply. */
    public enum Kind {
        /** An ioctl with a struct: the overrides replace its argsz and flags fields. */
        STRUCT,
        /** An ioctl without a struct (or a plain syscall): the overrides are accepted and ignored. */
        NO_STRUCT,
        /** Not an ioctl (alloc, free, group, container): the overrides are a syntax error. */
        NOT_IOCTL
    }

    /** Out fields printed in decimal; all others are lower-case hex with 0x. */
    public static final Set<String> DECIMAL_FIELDS = Set.of("value", "regions", "irqs", "max_windows", "levels");

    private static final Map<String, Op> BY_NAME =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(Op::text, Function.identity()));

    private final String text;
    private final Kind kind;
    private final List<String> outFields;

    Op(String text, Kind kind, String... outFields) {
        this.text = text;
        this.kind = kind;
        this.outFields = List.of(outFields);
    }

    /** The name as written in a scenario, e.g. {@code check-extension}. */
    public String text() {
        return text;
    }

    public Kind kind() {
        return kind;
    }

    /** The out fields, in print order. */
    public List<String> outFields() {
        return outFields;
    }

    /**
     * True for {@code group} and {@code container}, which only select among several groups or containers:
     * on the default platform (one group, one container) they select nothing new.
     */
    public boolean selectsHandle() {
        return this == GROUP || this == CONTAINER;
    }

    /** True for the ops whose positive ioctl return is their {@code value=} out field. */
    public boolean returnsValue() {
        return this == API_VERSION || this == CHECK_EXTENSION || this == EEH;
    }

    /** The op named {@code text}, or null. */
    public static Op byText(String text) {
        return BY_NAME.get(text);
    }

    /** Formats an out field's value as the result line shows it. */
    public static String format(String field, long value) {
        return DECIMAL_FIELDS.contains(field) ? Numbers.dec(value) : Numbers.hex(value);
    }
}
