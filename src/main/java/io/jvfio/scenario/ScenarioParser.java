package io.jvfio.scenario;

import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.KernelFix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses the {@code .scn} language of scenario-format.md. The whole file is checked before anything
 * runs; every error is reported with its line number.
 */
public final class ScenarioParser {
    private ScenarioParser() {}

    /** {@code check-extension} names. */
    public static final Map<String, Integer> EXTENSIONS = orderedMap(
            "type1", VfioUapi.VFIO_TYPE1_IOMMU,
            "spapr-v1", VfioUapi.VFIO_SPAPR_TCE_IOMMU,
            "type1v2", VfioUapi.VFIO_TYPE1v2_IOMMU,
            "eeh", VfioUapi.VFIO_EEH,
            "spapr-v2", VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU);

    /** {@code set-iommu} names. */
    public static final Map<String, Integer> IOMMU_TYPES = orderedMap(
            "v1", VfioUapi.VFIO_SPAPR_TCE_IOMMU,
            "v2", VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU);

    /** {@code eeh} op names, mapped to VFIO_EEH_PE_*. */
    public static final Map<String, Integer> EEH_OPS = orderedMap(
            "disable", VfioUapi.VFIO_EEH_PE_DISABLE,
            "enable", VfioUapi.VFIO_EEH_PE_ENABLE,
            "unfreeze-io", VfioUapi.VFIO_EEH_PE_UNFREEZE_IO,
            "unfreeze-dma", VfioUapi.VFIO_EEH_PE_UNFREEZE_DMA,
            "get-state", VfioUapi.VFIO_EEH_PE_GET_STATE,
            "reset-deactivate", VfioUapi.VFIO_EEH_PE_RESET_DEACTIVATE,
            "reset-hot", VfioUapi.VFIO_EEH_PE_RESET_HOT,
            "reset-fundamental", VfioUapi.VFIO_EEH_PE_RESET_FUNDAMENTAL,
            "configure", VfioUapi.VFIO_EEH_PE_CONFIGURE);

    /** What each op takes, for messages. */
    static final Map<Op, String> USAGE = Map.ofEntries(
            Map.entry(Op.API_VERSION, "no arguments"),
            Map.entry(Op.CHECK_EXTENSION, "N or a name (spapr-v1, spapr-v2, eeh, type1, type1v2)"),
            Map.entry(Op.OPEN_GROUP, "N"),
            Map.entry(Op.GROUP_STATUS, "no arguments"),
            Map.entry(Op.SET_CONTAINER, "no arguments"),
            Map.entry(Op.UNSET_CONTAINER, "no arguments"),
            Map.entry(Op.SET_IOMMU, "v1, v2 or a number"),
            Map.entry(Op.TCE_INFO, "[argsz=N]"),
            Map.entry(Op.ENABLE, "no arguments"),
            Map.entry(Op.DISABLE, "no arguments"),
            Map.entry(Op.ALLOC, "NAME SIZE [hugetlb]"),
            Map.entry(Op.FREE, "NAME"),
            Map.entry(Op.REGISTER, "NAME [OFFSET SIZE]"),
            Map.entry(Op.UNREGISTER, "NAME [OFFSET SIZE]"),
            Map.entry(Op.MAP, "IOVA SIZE NAME[+OFFSET] [r|w|rw]"),
            Map.entry(Op.UNMAP, "IOVA SIZE"),
            Map.entry(Op.CREATE, "PAGE_SHIFT WINDOW_SIZE LEVELS"),
            Map.entry(Op.REMOVE, "START"),
            Map.entry(Op.DEVICE, "PCI_ADDRESS"),
            Map.entry(Op.DEVICE_INFO, "no arguments"),
            Map.entry(Op.REGION_INFO, "INDEX"),
            Map.entry(Op.CLOSE_DEVICE, "no arguments"),
            Map.entry(Op.EEH, "OP (a number, or " + String.join(", ", EEH_OPS.keySet()) + ")"),
            Map.entry(Op.GROUP, "N (a group opened before)"),
            Map.entry(Op.CONTAINER, "N (1 is the container opened before step 1)"));

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

    /** Reads and parses a file. */
    public static Scenario parse(Path file) throws IOException, ScenarioSyntaxException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses {@code text}; {@code name} appears in error messages. */
    public static Scenario parse(String name, String text) throws ScenarioSyntaxException {
        List<Step> steps = new ArrayList<>();
        List<ScenarioSyntaxException.Error> errors = new ArrayList<>();
        Set<String> buffers = new HashSet<>();
        ProcessDirectives process = new ProcessDirectives();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            if (ProcessDirectives.isDirective(lines[i])) {
                try {
                    if (!steps.isEmpty()) {
                        throw new IllegalArgumentException("a #% directive belongs in the header, before the first operation");
                    }
                    process.add(lines[i]);
                } catch (IllegalArgumentException e) {
                    errors.add(new ScenarioSyntaxException.Error(name, lineNo, e.getMessage()));
                }
                continue;
            }
            try {
                Step s = parseLine(lines[i], lineNo, steps.size() + 1, buffers);
                if (s != null) {
                    steps.add(s);
                }
            } catch (Bad e) {
                errors.add(new ScenarioSyntaxException.Error(name, lineNo, e.getMessage()));
            }
        }
        ProcessSpec spec = ProcessSpec.INHERIT;
        try {
            spec = process.spec();
        } catch (IllegalArgumentException e) {
            errors.add(new ScenarioSyntaxException.Error(name, 1, e.getMessage()));
        }
        if (!errors.isEmpty()) {
            throw new ScenarioSyntaxException(errors);
        }
        return new Scenario(name, text, steps, spec, process.platform());
    }

    /**
     * Parses one operation line outside a file (interactive use: {@code jvfio probe}, {@code info}).
     * {@code buffers} holds the names alloc'ed so far and gains the name of an alloc line.
     *
     * @return the step, or null for a blank or comment line
     */
    public static Step parseStep(String line, int index, Set<String> buffers) throws ScenarioSyntaxException {
        try {
            return parseLine(line, index, index, buffers);
        } catch (Bad e) {
            throw new ScenarioSyntaxException(List.of(new ScenarioSyntaxException.Error("<step>", index, e.getMessage())));
        }
    }

    /** A syntax error on the current line. */
    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message, null, false, false);
        }
    }

    private static Step parseLine(String rawLine, int lineNo, int index, Set<String> buffers) throws Bad {
        String line = rawLine;
        int hash = line.indexOf('#');
        if (hash >= 0) {
            line = line.substring(0, hash);
        }
        line = line.strip();
        if (line.isEmpty()) {
            return null;
        }
        String command = line;
        String expectText = null;
        int arrow = line.indexOf("->");
        if (arrow >= 0) {
            command = line.substring(0, arrow).strip();
            expectText = line.substring(arrow + 2).strip();
            if (command.isEmpty()) {
                throw new Bad("'->' without an operation before it");
            }
            if (expectText.isEmpty()) {
                throw new Bad("nothing after '->': write an EXPECT (any, ok [FIELD=N...], ret=N or an errno name)");
            }
            if (expectText.contains("->")) {
                throw new Bad("more than one '->' on the line");
            }
        }
        String[] tokens = command.split("\\s+");
        Op op = Op.byText(tokens[0]);
        if (op == null) {
            throw new Bad("unknown operation '" + tokens[0] + "'; the operations: " + String.join(", ",
                    java.util.Arrays.stream(Op.values()).map(Op::text).toList()) + " (docs/scenario-format.md)");
        }
        List<String> args = List.of(tokens).subList(1, tokens.length);
        Long argsz = null;
        Long flags = null;
        Long vaddr = null;
        List<String> positional = new ArrayList<>();
        for (String t : args) {
            int eq = t.indexOf('=');
            if (eq < 0) {
                positional.add(t);
                continue;
            }
            String key = t.substring(0, eq);
            String value = t.substring(eq + 1);
            switch (key) {
                case "argsz", "flags" -> {
                    if (op.kind() == Op.Kind.NOT_IOCTL) {
                        throw new Bad("'" + key + "=' is not allowed on '" + op.text() + "': it is not an ioctl");
                    }
                    long v = u32(value);
                    if (key.equals("argsz")) {
                        argsz = once(key, argsz, v);
                    } else {
                        flags = once(key, flags, v);
                    }
                }
                case "vaddr" -> {
                    if (op != Op.REGISTER && op != Op.UNREGISTER && op != Op.MAP) {
                        throw new Bad("'vaddr=' is only for register, unregister and map");
                    }
                    vaddr = once(key, vaddr, u64(value));
                }
                default -> throw new Bad("unknown argument '" + t + "' (only argsz=N, flags=N and vaddr=N take '=')");
            }
        }
        Action action = action(op, positional, buffers);
        Expect expect = expectText == null ? null : expect(op, expectText);
        return new Step(index, lineNo, action, args, argsz, flags, vaddr, expect);
    }

    private static Action action(Op op, List<String> a, Set<String> buffers) throws Bad {
        int n = a.size();
        return switch (op) {
            case API_VERSION -> { arity(op, n, 0); yield new Action.ApiVersion(); }
            case CHECK_EXTENSION -> { arity(op, n, 1); yield new Action.CheckExtension(named(a.get(0), EXTENSIONS, false)); }
            case OPEN_GROUP -> { arity(op, n, 1); yield new Action.OpenGroup(u32(a.get(0))); }
            case GROUP_STATUS -> { arity(op, n, 0); yield new Action.GroupStatus(); }
            case SET_CONTAINER -> { arity(op, n, 0); yield new Action.SetContainer(); }
            case UNSET_CONTAINER -> { arity(op, n, 0); yield new Action.UnsetContainer(); }
            case SET_IOMMU -> { arity(op, n, 1); yield new Action.SetIommu(named(a.get(0), IOMMU_TYPES, false)); }
            case TCE_INFO -> { arity(op, n, 0); yield new Action.TceInfo(); }
            case ENABLE -> { arity(op, n, 0); yield new Action.Enable(); }
            case DISABLE -> { arity(op, n, 0); yield new Action.Disable(); }
            case ALLOC -> {
                arity(op, n, 2, 3);
                String name = a.get(0);
                checkName(name);
                buffers.add(name);
                long size = u64(a.get(1));
                if (n == 3 && !a.get(2).equals("hugetlb")) {
                    throw new Bad("'alloc' takes NAME SIZE [hugetlb]; '" + a.get(2) + "' is not 'hugetlb'");
                }
                yield new Action.Alloc(name, size, n == 3);
            }
            case FREE -> { arity(op, n, 1); yield new Action.Free(buffer(a.get(0), buffers)); }
            case REGISTER, UNREGISTER -> {
                arity(op, n, 1, 3);
                if (n == 2) {
                    throw new Bad("'" + op.text() + "' takes NAME [OFFSET SIZE]: OFFSET and SIZE go together");
                }
                String name = buffer(a.get(0), buffers);
                Long offset = n == 3 ? u64(a.get(1)) : null;
                Long size = n == 3 ? u64(a.get(2)) : null;
                yield op == Op.REGISTER ? new Action.Register(name, offset, size) : new Action.Unregister(name, offset, size);
            }
            case MAP -> {
                arity(op, n, 3, 4);
                long iova = u64(a.get(0));
                long size = u64(a.get(1));
                String ref = a.get(2);
                int plus = ref.indexOf('+');
                String name = buffer(plus < 0 ? ref : ref.substring(0, plus), buffers);
                long offset = plus < 0 ? 0 : u64(ref.substring(plus + 1));
                int flags = VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
                if (n == 4) {
                    flags = switch (a.get(3)) {
                        case "r" -> VfioUapi.VFIO_DMA_MAP_FLAG_READ;
                        case "w" -> VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
                        case "rw" -> VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
                        default -> throw new Bad("map direction '" + a.get(3) + "' is not r, w or rw");
                    };
                }
                yield new Action.Map(iova, size, name, offset, flags);
            }
            case UNMAP -> { arity(op, n, 2); yield new Action.Unmap(u64(a.get(0)), u64(a.get(1))); }
            case CREATE -> { arity(op, n, 3); yield new Action.Create((int) u32(a.get(0)), u64(a.get(1)), (int) u32(a.get(2))); }
            case REMOVE -> { arity(op, n, 1); yield new Action.Remove(u64(a.get(0))); }
            case DEVICE -> { arity(op, n, 1); yield new Action.Device(a.get(0)); }
            case DEVICE_INFO -> { arity(op, n, 0); yield new Action.DeviceInfo(); }
            case REGION_INFO -> { arity(op, n, 1); yield new Action.RegionInfo((int) u32(a.get(0))); }
            case CLOSE_DEVICE -> { arity(op, n, 0); yield new Action.CloseDevice(); }
            case EEH -> { arity(op, n, 1); yield new Action.Eeh((int) named(a.get(0), EEH_OPS, true)); }
            case GROUP -> { arity(op, n, 1); yield new Action.UseGroup(u32(a.get(0))); }
            case CONTAINER -> {
                arity(op, n, 1);
                long c = u32(a.get(0));
                if (c == 0) {
                    throw new Bad("'container' takes N >= 1 (1 is the container opened before step 1)");
                }
                yield new Action.UseContainer(c);
            }
        };
    }

    /**
     * {@code EXPECT [| COMMIT: EXPECT]... [| PAGE_SIZE: EXPECT]...}: what kernels carrying a {@link KernelFix},
     * or built with another page size (4K, 64K), answer instead.
     */
    private static Expect expect(Op op, String text) throws Bad {
        String[] parts = text.split("\\|", -1);
        if (parts.length == 1) {
            return single(op, text);
        }
        Map<KernelFix, Expect> withFix = new LinkedHashMap<>();
        Map<Long, Expect> withPageSize = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            int colon = part.indexOf(':');
            String key = colon < 0 ? "" : part.substring(0, colon).strip();
            if (PAGE_SIZES.contains(key)) {
                if (withPageSize.put(Numbers.parse(key), single(op, part.substring(colon + 1).strip())) != null) {
                    throw new Bad("page-size alternative " + key + " given twice");
                }
                continue;
            }
            KernelFix fix = KernelFix.byCommit(key).orElseThrow(() ->
                    new Bad("bad kernel alternative '" + part + "': write '| COMMIT: EXPECT' with a known change ("
                    + String.join(", ", java.util.Arrays.stream(KernelFix.values()).map(KernelFix::commit).toList())
                    + ") or '| PAGE_SIZE: EXPECT' with " + String.join(" or ", PAGE_SIZES)));
            if (withFix.put(fix, single(op, part.substring(colon + 1).strip())) != null) {
                throw new Bad("kernel alternative " + fix.commit() + " given twice");
            }
        }
        Expect base = single(op, parts[0].strip());
        return new Expect(base.kind(), base.fields(), base.ret(), base.errno(), String.join(" ", text.strip().split("\\s+")),
                withFix, withPageSize);
    }

    /** The kernel page sizes an EXPECT alternative may name (ppc64's CONFIG_PPC_4K_PAGES and _64K_PAGES). */
    private static final List<String> PAGE_SIZES = List.of("4K", "64K");

    private static Expect single(Op op, String text) throws Bad {
        if (text.isEmpty()) {
            throw new Bad("an empty EXPECT beside '|': write any, ok [FIELD=N...], ret=N or an errno name");
        }
        String[] t = text.split("\\s+");
        String joined = String.join(" ", t);
        if (t[0].equals("any")) {
            if (t.length > 1) {
                throw new Bad("'any' stands alone in an EXPECT");
            }
            return new Expect(Expect.Kind.ANY, Map.of(), 0, 0, joined);
        }
        if (t[0].equals("ok")) {
            Map<String, Long> fields = new LinkedHashMap<>();
            for (int i = 1; i < t.length; i++) {
                int eq = t[i].indexOf('=');
                if (eq <= 0) {
                    throw new Bad("bad EXPECT field '" + t[i] + "': write FIELD=N");
                }
                String f = t[i].substring(0, eq);
                if (!op.outFields().contains(f)) {
                    throw new Bad("'" + f + "' is not an out field of '" + op.text() + "'"
                            + (op.outFields().isEmpty() ? " (it has none)" : " (it has " + String.join(", ", op.outFields()) + ")"));
                }
                if (fields.put(f, u64(t[i].substring(eq + 1))) != null) {
                    throw new Bad("EXPECT field '" + f + "' given twice");
                }
            }
            return new Expect(Expect.Kind.OK, fields, 0, 0, joined);
        }
        if (t.length == 1 && t[0].startsWith("ret=")) {
            return new Expect(Expect.Kind.RET, Map.of(), u64(t[0].substring(4)), 0, joined);
        }
        if (t.length == 1 && Expect.isErrnoName(t[0])) {
            return new Expect(Expect.Kind.ERRNO, Map.of(), 0, io.jvfio.backend.Errno.valueOf(t[0]), joined);
        }
        throw new Bad("bad EXPECT '" + joined + "': use any, ok [FIELD=N...], ret=N or an errno name (EPERM, EINVAL, ...)");
    }

    private static Long once(String key, Long previous, long value) throws Bad {
        if (previous != null) {
            throw new Bad(key + "= given twice");
        }
        return value;
    }

    private static void arity(Op op, int n, int... allowed) throws Bad {
        for (int k : allowed) {
            if (n == k) {
                return;
            }
        }
        throw new Bad("'" + op.text() + "' takes " + USAGE.get(op) + "; got " + n + " argument" + (n == 1 ? "" : "s"));
    }

    private static void checkName(String name) throws Bad {
        if (!NAME.matcher(name).matches()) {
            throw new Bad("bad buffer name '" + name + "' (letters, digits, '_', '.', '-'; starting with a letter or '_')");
        }
    }

    private static String buffer(String name, Set<String> buffers) throws Bad {
        checkName(name);
        if (!buffers.contains(name)) {
            throw new Bad("buffer '" + name + "' is used before any 'alloc " + name + "'");
        }
        return name;
    }

    private static long named(String token, Map<String, Integer> names, boolean u32) throws Bad {
        Integer v = names.get(token);
        if (v != null) {
            return v;
        }
        if (!Numbers.looksLikeNumber(token) && !token.startsWith("-")) {
            throw new Bad("'" + token + "' is neither a number nor one of " + String.join(", ", names.keySet()));
        }
        return u32 ? u32(token) : u64(token);
    }

    private static long u64(String token) throws Bad {
        try {
            return Numbers.parse(token);
        } catch (NumberFormatException e) {
            throw new Bad(e.getMessage());
        }
    }

    private static long u32(String token) throws Bad {
        try {
            return Integer.toUnsignedLong(Numbers.parseU32(token));
        } catch (NumberFormatException e) {
            throw new Bad(e.getMessage());
        }
    }

    private static Map<String, Integer> orderedMap(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
