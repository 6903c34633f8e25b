package io.jvfio.emul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The emulator reads and writes ioctl arguments only through {@code io.jvfio.abi} (the fields and
 * {@code MINSZ} constants the C compiler pins in AbiGoldenTest), never by literal offsets or sizes.
 * A plain source scan of {@code src/main/java/io/jvfio/emul}: a literal where an argument is
 * copied, sliced, read or written, or where argsz is compared, is a second truth for a struct.
 */
class NoLiteralStructOffsetsTest {
    static final Path EMUL = Path.of("src/main/java/io/jvfio/emul");

    /** Each rule: what it catches, and the pattern. A lone 0 (the start of the argument) is allowed. */
    static final List<Rule> RULES = List.of(
            new Rule("a literal size or offset passed to UserCopy", Pattern.compile("UserCopy\\.\\w+\\([^;]*?,\\s*(?!0\\b)\\d")),
            new Rule("argsz compared with a literal", Pattern.compile(
                    "argszBelow\\([^,]+,\\s*\\d|compareUnsigned\\(\\s*argsz\\s*,\\s*\\d|argsz\\)?\\s*[-<>]=?\\s*\\d")),
            new Rule("an argument segment accessed at a literal offset", Pattern.compile(
                    "\\b(seg|arg|data)\\.(get|set|getAtIndex|setAtIndex|asSlice|getString)\\(\\s*(ValueLayout\\.\\w+\\s*,\\s*)?(?!0\\b)\\d")));

    record Rule(String what, Pattern pattern) {}

    /** Every violation in {@code source} (named {@code file}), as "file:line: what: text". */
    static List<String> violations(String file, String source) {
        List<String> out = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String code = lines[i].replaceAll("//.*$", "");
            for (Rule r : RULES) {
                if (r.pattern.matcher(code).find()) {
                    out.add(file + ":" + (i + 1) + ": " + r.what + ": " + lines[i].trim());
                }
            }
        }
        return out;
    }

    @Test
    void theEmulatorHasNoLiteralStructOffsetsOrSizes() throws IOException {
        assertTrue(Files.isDirectory(EMUL), EMUL.toAbsolutePath() + " missing: run from the project directory");
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.walk(EMUL)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                files++;
                found.addAll(violations(EMUL.relativize(p).toString(), Files.readString(p)));
            }
        }
        assertTrue(files > 20, "scanned only " + files + " files under " + EMUL);
        assertEquals(List.of(), found, "read and write ioctl arguments through io.jvfio.abi (fields, MINSZ), not literals");
    }

    /** The rules catch what the emulator used to contain (so an empty scan means something). */
    @Test
    void theRulesCatchTheOldLiterals() {
        for (String bad : List.of(
                "int index = UserCopy.u32(seg, 8);",
                "if (!UserCopy.ok(seg, 40)) {",
                "UserCopy.putU64(seg, 32, start[0]);",
                "if (Integer.compareUnsigned(argsz, 16) < 0) {",
                "if (Integer.toUnsignedLong(argsz) - 20 < need) {",
                "data = seg.asSlice(20, need);",
                "int fd = data.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * j);",
                "long v = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, 16);")) {
            assertEquals(1, violations("X.java", bad).size(), () -> "not caught: " + bad);
        }
        for (String good : List.of(
                "int index = vfio_region_info.index.get(seg);",
                "if (!UserCopy.ok(seg, vfio_irq_set.MINSZ + need)) {",
                "if (UserCopy.argszBelow(argsz, vfio_eeh_pe_op.MINSZ_ERR)) {",
                "return seg.getString(0, StandardCharsets.ISO_8859_1);")) {
            assertEquals(List.of(), violations("X.java", good), () -> "false alarm: " + good);
        }
    }
}
