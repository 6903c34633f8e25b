package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the guest JVM's AOT cache is trained on and shipped with, without qemu-user. */
class GuestCdsTest {
    @TempDir
    Path dir;

    private void touch(String rel) throws IOException {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, rel);
    }

    @Test
    void trainingDiscoversEveryClassOfTheDirectoriesSelectedFrom() throws IOException {
        Path tests = dir.resolve("tests");
        Path main = dir.resolve("main");
        for (String rel : List.of("tests/a/b/OneTest.class", "tests/a/b/OneTest$Inner.class", "tests/a/b/sub/TwoTest.class",
                "tests/a/b/package-info.class", "tests/a/b/data.txt", "tests/c/Other.class", "main/m/Lib.class")) {
            touch(rel);
        }
        assertEquals(List.of("a.b.OneTest", "a.b.sub.TwoTest", "c.Other"), GuestCds.trainingClasses(
                List.of("--include-tag", "t", "--select-package", "a.b", "--exclude-tag", "x"), List.of(tests, main)));
        assertEquals(List.of("a.b.OneTest", "a.b.sub.TwoTest", "c.Other", "m.Lib"), GuestCds.trainingClasses(
                List.of("--select-method", "c.Other#m(int)", "--select-class", "m.Lib"), List.of(tests, main)));
        assertEquals(List.of("m.Lib", "m.Lib$Fixture"), GuestCds.trainingClasses(List.of("--select-class", "m.Lib$Fixture"),
                List.of(tests, main)), "a nested class selects its top-level class's directory");
        assertEquals(List.of(), GuestCds.trainingClasses(List.of("--select-package", "no.such", "--select-class", "z.Z"),
                List.of(tests, main)), "nothing selected from these directories");
    }

    @Test
    void classesJarHoldsOnlyClassesAndIsReproducible() throws IOException {
        touch("a/B.class");
        touch("a/B$1.class");
        touch("a/res.txt");
        touch("module-info.class");
        touch("META-INF/versions/21/a/B.class");
        byte[] first = GuestCds.classesJar(dir);
        Files.setLastModifiedTime(dir.resolve("a/B.class"), FileTime.fromMillis(0)); // mtimes do not matter
        assertArrayEquals(first, GuestCds.classesJar(dir));
        List<String> names = new ArrayList<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(first))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                names.add(e.getName());
            }
        }
        assertEquals(List.of("a/B$1.class", "a/B.class"), names);
        assertNull(GuestCds.classesJar(Files.createDirectories(dir.resolve("empty"))), "no classes, no jar");
    }

    @Test
    void cacheFlagsReplaceEveryXshare() {
        GuestCds.Archive a = new GuestCds.Archive(List.of(Path.of("x/cp/lib/" + GuestCds.RUNNER_JAR)), Path.of("x/junit.aot"),
                Duration.ZERO);
        List<String> flags = a.jvmFlags(GuestRun.JVM_FLAGS);
        assertTrue(flags.stream().noneMatch(f -> f.startsWith("-Xshare")), flags.toString());
        assertEquals("-XX:AOTCache=" + GuestCds.GUEST_ARCHIVE, flags.get(flags.size() - 1));
        assertEquals(List.of("cp/lib/" + GuestCds.RUNNER_JAR), a.guestClasspath());
    }
}
