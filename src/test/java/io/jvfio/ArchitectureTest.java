package io.jvfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The "what may this package import" table of docs/architecture.md, checked over src/main: every
 * import and every qualified name of a jvfio class in code (comments and string literals aside) must
 * be allowed by the row of its package or of its class. A package without a row fails, so the table
 * stays complete. A plain text scan: no bytecode analysis library needed for a rule this simple.
 */
class ArchitectureTest {
    private static final Path PROJECT = Path.of(System.getProperty("jvfio.project.dir", "."));
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|([^|]*)\\|");
    private static final Pattern NAME = Pattern.compile("`([^`]+)`");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.jvfio(?:\\.[a-z_][a-z0-9_]*)*\\.[A-Z][A-Za-z0-9_]*");
    private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([a-z0-9_.]+);", Pattern.MULTILINE);

    /** The rows of the table: a package, {@code pkg.*}, or a class, and what it may import. */
    static Map<String, List<String>> rules() throws IOException {
        Map<String, List<String>> rules = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(PROJECT.resolve("docs/architecture.md"))) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## What may this package import");
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (inSection && m.find()) {
                List<String> allowed = new ArrayList<>();
                Matcher n = NAME.matcher(m.group(2));
                while (n.find()) {
                    allowed.add(n.group(1));
                }
                rules.put(m.group(1), allowed);
            }
        }
        return rules;
    }

    static boolean isClassName(String name) {
        return Character.isUpperCase(name.charAt(name.lastIndexOf('.') + 1));
    }

    /** The package of a qualified class name (nested classes included: its first capitalised segment). */
    static String packageOf(String className) {
        String[] parts = className.split("\\.");
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            if (Character.isUpperCase(p.charAt(0))) {
                break;
            }
            b.append(b.isEmpty() ? "" : ".").append(p);
        }
        return b.toString();
    }

    /** Whether {@code rule} (a package, {@code pkg.*} or a class) covers a class of package {@code pkg}. */
    static boolean covers(String rule, String pkg, String className) {
        if (rule.endsWith(".*")) {
            String base = rule.substring(0, rule.length() - 2);
            return pkg.equals(base) || pkg.startsWith(base + ".");
        }
        return isClassName(rule) ? className.equals(rule) : pkg.equals(rule);
    }

    /** What a class may import: its class row, and the row of its package (exact, else the nearest {@code .*}). */
    static List<String> allowedFor(Map<String, List<String>> rules, String pkg, String className) {
        List<String> allowed = new ArrayList<>(rules.getOrDefault(className, List.of()));
        String best = rules.containsKey(pkg) ? pkg : null;
        if (best == null) {
            for (String k : rules.keySet()) {
                if (k.endsWith(".*") && covers(k, pkg, pkg + ".X") && (best == null || k.length() > best.length())) {
                    best = k;
                }
            }
        }
        if (best == null) {
            return null;
        }
        allowed.addAll(rules.get(best));
        return allowed;
    }

    /** The jvfio classes a source file names in code: imports and qualified names. */
    static Set<String> references(String source) {
        Set<String> out = new TreeSet<>();
        boolean block = false;
        for (String raw : source.split("\n")) {
            String line = raw.strip();
            if (block) {
                block = !line.contains("*/");
                continue;
            }
            if (line.startsWith("/*")) {
                block = !line.contains("*/");
                continue;
            }
            if (line.startsWith("*") || line.startsWith("//") || line.startsWith("package ")) {
                continue;
            }
            int comment = line.indexOf("//");
            String code = STRING.matcher(comment >= 0 ? line.substring(0, comment) : line).replaceAll("\"\"");
            Matcher m = REFERENCE.matcher(code);
            while (m.find()) {
                out.add(m.group());
            }
        }
        return out;
    }

    @Test
    void everyImportFollowsTheTable() throws IOException {
        Map<String, List<String>> rules = rules();
        assertTrue(rules.size() >= 10, "rows of the table in docs/architecture.md: " + rules.keySet());
        List<String> violations = new ArrayList<>();
        Path main = PROJECT.resolve("src/main/java");
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.equals("module-info.java")) {
                    continue;
                }
                String source = Files.readString(f);
                Matcher pm = PACKAGE.matcher(source);
                assertTrue(pm.find(), f + ": no package declaration");
                String pkg = pm.group(1);
                String cls = pkg + "." + name.substring(0, name.length() - ".java".length());
                List<String> allowed = allowedFor(rules, pkg, cls);
                if (allowed == null) {
                    violations.add(pkg + ": no row in docs/architecture.md's import table");
                    continue;
                }
                for (String ref : references(source)) {
                    String refPkg = packageOf(ref);
                    String refClass = refPkg + "." + ref.substring(refPkg.length() + 1).split("\\.")[0];
                    if (!refPkg.equals(pkg) && allowed.stream().noneMatch(a -> covers(a, refPkg, refClass))) {
                        violations.add(main.relativize(f) + " uses " + refClass + " (" + pkg + " may import " + allowed + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), violations.stream().distinct().toList(), "imports against docs/architecture.md");
    }

    /** The scan itself: a rule can fail, and comments and strings are not code. */
    @Test
    void theScanSeesCodeOnly() {
        String src = """
                package io.jvfio.x;
                import io.jvfio.emul.spapr.TceTable;
                /** {@link io.jvfio.emul.Profile} */
                class A { String s = "io.jvfio.cli.Main"; io.jvfio.abi.U32 u; } // io.jvfio.Vfio
                """;
        assertEquals(Set.of("io.jvfio.emul.spapr.TceTable", "io.jvfio.abi.U32"), references(src));
        assertEquals("io.jvfio.toolkit", packageOf("io.jvfio.toolkit.Plan.Decision"));
        assertTrue(covers("io.jvfio.emul.*", "io.jvfio.emul.spapr", "io.jvfio.emul.spapr.TceTable"));
        assertFalse(covers("io.jvfio.emul", "io.jvfio.emul.spapr", "io.jvfio.emul.spapr.TceTable"));
        assertFalse(covers("io.jvfio.emul.Profile", "io.jvfio.emul", "io.jvfio.emul.EmulatedBackend"));
    }
}
