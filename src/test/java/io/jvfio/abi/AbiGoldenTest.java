package io.jvfio.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Pins the hand-written Java ABI tier against the C compiler, for x86-64 and ppc64le.
 *
 * <p>{@code make native} compiles {@code native/abi_dump.c} for both architectures and writes
 * {@code target/native/abi-<arch>.txt}: the request number of every ioctl, the sizeof, offsetof and
 * field size of every struct and field, and the value of every constant named in
 * {@code headers/jvfio_uapi.h}. Each item becomes one named test here; so do the checks that the C
 * header and the Java side name exactly the same ioctls, structs, fields and constants.
 *
 * <p>System properties: {@code jvfio.abi.dir} (default {@code target/native}); {@code jvfio.abi.required}
 * ({@code true}: a missing dump fails, otherwise the architecture is skipped with the reason).
 */
class AbiGoldenTest {
    /** The architectures the dumper is built for. aarch64 shares x86-64's generic ioctl layout. */
    static final List<Arch> DUMPED = List.of(Arch.X86_64, Arch.PPC64LE);

    /** Constants the header lists beyond VfioUapi: checked on their own against the codec. */
    static final Set<String> EXTRA_CONSTANTS = Set.of("FIONREAD");

    @TestFactory
    Stream<DynamicNode> golden() {
        return DUMPED.stream().map(arch -> dynamicContainer(arch.id(), testsFor(arch)));
    }

    static Path dumpFile(Arch arch) {
        return Path.of(System.getProperty("jvfio.abi.dir", "target/native")).resolve("abi-" + arch.id() + ".txt");
    }

    static boolean required() {
        return Boolean.parseBoolean(System.getProperty("jvfio.abi.required", "false"));
    }

    /**
     * The dump for {@code arch}, or: fails the calling test (required) or aborts it with the reason.
     * Shared with {@link IoctlCodecTest}.
     */
    static Dump loadOrSkip(Arch arch) {
        Path file = dumpFile(arch);
        if (!Files.isRegularFile(file)) {
            String why = "C ABI dump " + file.toAbsolutePath() + " is missing: run `make native` "
                    + "(or `make -f native/native.mk native-abi`) to build it";
            if (required()) {
                fail(why + " (jvfio.abi.required=true)");
            }
            Assumptions.abort(why + "; skipping the " + arch.id() + " golden checks");
        }
        return Dump.parse(file);
    }

    private static Stream<DynamicNode> testsFor(Arch arch) {
        Path file = dumpFile(arch);
        if (!Files.isRegularFile(file)) {
            return Stream.of(dynamicTest("dump " + file.getFileName() + " present", () -> loadOrSkip(arch)));
        }
        Dump dump;
        try {
            dump = Dump.parse(file);
        } catch (RuntimeException e) {
            return Stream.of(dynamicTest("dump " + file.getFileName() + " parses", () -> {
                throw e;
            }));
        }
        List<DynamicNode> nodes = new ArrayList<>();
        nodes.add(dynamicTest("arch line", () -> assertEquals(arch.id(), dump.arch, file + ": arch line")));
        nodes.add(dynamicContainer("ioctl", ioctlTests(arch, dump)));
        nodes.add(dynamicContainer("struct", structTests(dump)));
        nodes.add(dynamicContainer("minsz", minszTests(dump)));
        nodes.add(dynamicContainer("const", constTests(arch, dump)));
        nodes.add(dynamicContainer("libc", libcTests(dump)));
        return nodes.stream();
    }

    // ---- ioctls

    private static Stream<DynamicNode> ioctlTests(Arch arch, Dump dump) {
        List<DynamicNode> nodes = new ArrayList<>();
        Set<String> java = Arrays.stream(VfioIoctl.values()).map(Enum::name).collect(toOrderedSet());
        nodes.add(dynamicTest("same ioctls in C and Java", () -> assertSameNames("ioctls", dump.ioctls.keySet(), java)));
        for (VfioIoctl ioctl : VfioIoctl.values()) {
            nodes.add(dynamicTest(ioctl.name(), () -> {
                Long c = dump.ioctls.get(ioctl.name());
                assertTrue(c != null, ioctl.name() + " is not in the C dump");
                int javaRequest = ioctl.request(arch);
                assertEquals("0x" + Long.toHexString(c), IoctlCodec.hex(javaRequest),
                        ioctl.name() + " request number on " + arch.id() + ": C vs VfioIoctl.request");
                assertEquals(ioctl, VfioIoctl.of(arch, ioctl.fd(), (int) (long) c),
                        "VfioIoctl.of(" + arch.id() + ", " + ioctl.fd() + ", C number)");
            }));
        }
        return nodes.stream();
    }

    // ---- structs and fields

    private static Stream<DynamicNode> structTests(Dump dump) {
        List<DynamicNode> nodes = new ArrayList<>();
        Set<String> javaStructs = Structs.ALL.stream().map(Structs.Struct::name).collect(toOrderedSet());
        nodes.add(dynamicTest("same structs in C and Java", () -> assertSameNames("structs", dump.sizeof.keySet(), javaStructs)));
        for (Structs.Struct s : Structs.ALL) {
            List<DynamicNode> perStruct = new ArrayList<>();
            Map<String, Long> cOffsets = dump.offsetof.getOrDefault(s.name(), Map.of());
            Map<String, Long> cSizes = dump.fieldsize.getOrDefault(s.name(), Map.of());
            Set<String> javaFields = s.fields().stream().map(Field::name).collect(toOrderedSet());
            perStruct.add(dynamicTest("sizeof", () -> {
                Long c = dump.sizeof.get(s.name());
                assertTrue(c != null, "struct " + s.name() + " is not in the C dump");
                assertEquals(c.longValue(), s.layout().byteSize(), "sizeof(struct " + s.name() + "): C vs Java layout");
            }));
            perStruct.add(dynamicTest("same fields in C and Java", () -> {
                assertSameNames("fields of " + s.name(), cOffsets.keySet(), javaFields);
                assertEquals(cOffsets.keySet(), cSizes.keySet(), "C dump: offsetof and fieldsize lines of " + s.name());
            }));
            for (Field f : s.fields()) {
                perStruct.add(dynamicTest("offsetof " + f.name(), () -> {
                    Long c = cOffsets.get(f.name());
                    assertTrue(c != null, s.name() + "." + f.name() + " is not in the C dump");
                    assertEquals(c.longValue(), f.offset(), "offsetof(struct " + s.name() + ", " + f.name() + "): C vs Java");
                }));
                perStruct.add(dynamicTest("fieldsize " + f.name(), () -> {
                    Long c = cSizes.get(f.name());
                    assertTrue(c != null, s.name() + "." + f.name() + " is not in the C dump");
                    assertEquals(c.longValue(), f.size(), "sizeof(((struct " + s.name() + " *)0)->" + f.name() + "): C vs Java");
                }));
            }
            nodes.add(dynamicContainer(s.name(), perStruct.stream()));
        }
        return nodes.stream();
    }

    // ---- the kernel's minsz per ioctl argument

    /**
     * Every {@code public static final long MINSZ*} of every struct class, as "struct NAME". These are
     * what the emulator checks argsz against and copies, so the C compiler pins the emulator's side too.
     */
    static Map<String, Long> javaMinsz() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Structs.Struct s : Structs.ALL) {
            try {
                for (java.lang.reflect.Field f : Class.forName("io.jvfio.abi." + s.name()).getDeclaredFields()) {
                    int m = f.getModifiers();
                    if (f.getName().startsWith("MINSZ") && Modifier.isPublic(m) && Modifier.isStatic(m)
                            && Modifier.isFinal(m) && f.getType() == long.class) {
                        out.put(s.name() + " " + f.getName(), f.getLong(null));
                    }
                }
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    private static Stream<DynamicNode> minszTests(Dump dump) {
        List<DynamicNode> nodes = new ArrayList<>();
        Map<String, Long> java = javaMinsz();
        nodes.add(dynamicTest("same minsz in C and Java", () -> assertSameNames("minsz", dump.minsz.keySet(), java.keySet())));
        for (Map.Entry<String, Long> e : java.entrySet()) {
            nodes.add(dynamicTest(e.getKey(), () -> {
                Long c = dump.minsz.get(e.getKey());
                assertTrue(c != null, e.getKey() + " is not in the C dump");
                assertEquals(c, e.getValue(), e.getKey() + " (offsetofend): C vs Java");
            }));
        }
        return nodes.stream();
    }

    // ---- constants

    /** Every {@code public static final int} of {@link VfioUapi}, by name, in declaration order. */
    static Map<String, Integer> javaConstants() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (java.lang.reflect.Field f : VfioUapi.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
                try {
                    out.put(f.getName(), f.getInt(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    /** FIONREAD: a legacy literal on x86-64 (which happens to equal _IO('T', 0x1B)), _IOR('f', 127, int) on powerpc. */
    static int expectedFionread(Arch arch) {
        return switch (arch.ioc()) {
            case GENERIC -> 0x541B;
            case POWERPC -> IoctlCodec.ior(arch, 'f', 127, Integer.BYTES);
        };
    }

    private static Stream<DynamicNode> constTests(Arch arch, Dump dump) {
        List<DynamicNode> nodes = new ArrayList<>();
        Map<String, Integer> java = javaConstants();
        nodes.add(dynamicTest("same constants in C and Java", () -> {
            Set<String> c = new LinkedHashSet<>(dump.consts.keySet());
            assertTrue(c.containsAll(EXTRA_CONSTANTS), "C dump lacks " + EXTRA_CONSTANTS);
            c.removeAll(EXTRA_CONSTANTS);
            assertSameNames("constants (VfioUapi)", c, java.keySet());
        }));
        for (Map.Entry<String, Integer> e : java.entrySet()) {
            nodes.add(dynamicTest(e.getKey(), () -> {
                Long c = dump.consts.get(e.getKey());
                assertTrue(c != null, e.getKey() + " is not in the C dump");
                assertEquals(c.longValue(), (long) e.getValue(), "VfioUapi." + e.getKey() + ": C vs Java");
            }));
        }
        nodes.add(dynamicTest("FIONREAD", () -> {
            Long c = dump.consts.get("FIONREAD");
            assertTrue(c != null, "FIONREAD is not in the C dump");
            assertEquals("0x" + Long.toHexString(c), IoctlCodec.hex(expectedFionread(arch)),
                    "FIONREAD on " + arch.id() + ": C vs IoctlCodec");
        }));
        return nodes.stream();
    }

    // ---- libc constants of the kernel backend

    /** Every static final int of the kernel backend's (package-private) LinuxUapi, by name, in declaration order. */
    static Map<String, Integer> javaLibcConstants() {
        Map<String, Integer> out = new LinkedHashMap<>();
        try {
            for (java.lang.reflect.Field f : Class.forName("io.jvfio.backend.kernel.LinuxUapi").getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
                    f.setAccessible(true);
                    out.put(f.getName(), f.getInt(null));
                }
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        return out;
    }

    private static Stream<DynamicNode> libcTests(Dump dump) {
        List<DynamicNode> nodes = new ArrayList<>();
        Map<String, Integer> java = javaLibcConstants();
        // C's _SC_PAGESIZE is SC_PAGESIZE in Java (no leading underscore).
        Map<String, Long> c = new LinkedHashMap<>();
        dump.libc.forEach((k, v) -> c.put(k.startsWith("_") ? k.substring(1) : k, v));
        nodes.add(dynamicTest("same libc constants in C and Java", () -> assertSameNames("libc constants (LinuxUapi)", c.keySet(), java.keySet())));
        for (Map.Entry<String, Integer> e : java.entrySet()) {
            nodes.add(dynamicTest(e.getKey(), () -> {
                Long v = c.get(e.getKey());
                assertTrue(v != null, e.getKey() + " is not in the C dump");
                assertEquals(v.longValue(), (long) e.getValue(), "LinuxUapi." + e.getKey() + ": C vs Java");
            }));
        }
        return nodes.stream();
    }

    // ---- helpers

    private static void assertSameNames(String what, Set<String> c, Set<String> java) {
        Set<String> onlyC = new TreeSet<>(c);
        onlyC.removeAll(java);
        Set<String> onlyJava = new TreeSet<>(java);
        onlyJava.removeAll(c);
        if (!onlyC.isEmpty() || !onlyJava.isEmpty()) {
            fail(what + " differ between headers/jvfio_uapi.h and the Java side: only in C " + onlyC
                    + ", only in Java " + onlyJava);
        }
    }

    private static java.util.stream.Collector<String, ?, Set<String>> toOrderedSet() {
        return Collectors.toCollection(LinkedHashSet::new);
    }

    /** One parsed {@code abi-<arch>.txt}. Malformed or duplicate lines are errors. */
    static final class Dump {
        String arch;
        final Map<String, Long> ioctls = new LinkedHashMap<>();
        final Map<String, Long> sizeof = new LinkedHashMap<>();
        final Map<String, Map<String, Long>> offsetof = new LinkedHashMap<>();
        final Map<String, Map<String, Long>> fieldsize = new LinkedHashMap<>();
        final Map<String, Long> minsz = new LinkedHashMap<>();
        final Map<String, Long> consts = new LinkedHashMap<>();
        final Map<String, Long> libc = new LinkedHashMap<>();

        static Dump parse(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Dump d = new Dump();
            int n = 0;
            for (String line : lines) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String[] w = line.trim().split("\\s+");
                String where = file + ":" + n + ": '" + line + "'";
                switch (w[0]) {
                    case "arch" -> {
                        expectWords(w, 2, where);
                        if (d.arch != null) {
                            throw new IllegalArgumentException(where + ": second arch line");
                        }
                        d.arch = w[1];
                    }
                    case "ioctl" -> {
                        expectWords(w, 3, where);
                        if (!w[2].startsWith("0x")) {
                            throw new IllegalArgumentException(where + ": request number must be 0x-hex");
                        }
                        put(d.ioctls, w[1], parse(w[2].substring(2), 16, where), where);
                    }
                    case "sizeof" -> {
                        expectWords(w, 3, where);
                        put(d.sizeof, w[1], parse(w[2], 10, where), where);
                    }
                    case "offsetof" -> {
                        expectWords(w, 4, where);
                        put(d.offsetof.computeIfAbsent(w[1], k -> new LinkedHashMap<>()), w[2], parse(w[3], 10, where), where);
                    }
                    case "fieldsize" -> {
                        expectWords(w, 4, where);
                        put(d.fieldsize.computeIfAbsent(w[1], k -> new LinkedHashMap<>()), w[2], parse(w[3], 10, where), where);
                    }
                    case "minsz" -> {
                        expectWords(w, 4, where);
                        put(d.minsz, w[1] + " " + w[2], parse(w[3], 10, where), where);
                    }
                    case "const" -> {
                        expectWords(w, 3, where);
                        put(d.consts, w[1], parse(w[2], 10, where), where);
                    }
                    case "libc" -> {
                        expectWords(w, 3, where);
                        put(d.libc, w[1], parse(w[2], 10, where), where);
                    }
                    default -> throw new IllegalArgumentException(where + ": unknown line kind '" + w[0] + "'");
                }
            }
            if (d.arch == null) {
                throw new IllegalArgumentException(file + ": no arch line");
            }
            for (String s : d.offsetof.keySet()) {
                if (!d.sizeof.containsKey(s)) {
                    throw new IllegalArgumentException(file + ": fields of struct " + s + " without a sizeof line");
                }
            }
            return d;
        }

        private static void expectWords(String[] w, int n, String where) {
            if (w.length != n) {
                throw new IllegalArgumentException(where + ": expected " + n + " words, got " + w.length);
            }
        }

        private static long parse(String s, int radix, String where) {
            try {
                return Long.parseLong(s, radix);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": bad number '" + s + "'", e);
            }
        }

        private static void put(Map<String, Long> m, String k, long v, String where) {
            if (m.putIfAbsent(k, v) != null) {
                throw new IllegalArgumentException(where + ": duplicate " + k);
            }
        }
    }
}
