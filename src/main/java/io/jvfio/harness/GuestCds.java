package io.jvfio.harness;

import io.jvfio.harness.guest.GuestTestMain;
import io.jvfio.harness.guest.Warmup;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A class-data-sharing archive of the JUnit classes for the guest JVM: under TCG, loading and
 * verifying the ~1400 classes a JUnit run needs costs several seconds per boot; from a CDS archive
 * they map in. The archive is a dynamic (top-layer) archive over the guest runtime's own, trained
 * once on the host by running {@link Warmup} with the guest's runtime under qemu-user, and cached
 * under {@code $JVFIO_CACHE/harness/cds/<key>} (the key covers the jars, the runner classes, the
 * runtime and the JVM flags).
 *
 * <p>CDS only archives classes from jars and only when the run-time classpath starts with the
 * dump-time one, jar for jar (same relative paths, sizes and mtimes). So the guest gets exactly the
 * cached copies of the jars, first on its classpath, with the runner classes ({@code GuestTestMain},
 * {@code Warmup}) in a jar of their own; class directories follow. When anything is missing
 * (qemu-user, the images' sysroot) there is simply no archive; a stale one is ignored by the JVM.
 */
public final class GuestCds {
    /** The runner jar's name inside {@code cp/lib}. */
    public static final String RUNNER_JAR = "jvfio-guest-runner.jar";
    /** Where the archive goes in the guest, relative to /jvfio. */
    public static final String GUEST_ARCHIVE = "cds/junit.jsa";
    private static final int KEEP = 6;
    private static final FileTime FIXED_MTIME = FileTime.fromMillis(1_000_000_000_000L);
    private static final Class<?>[] RUNNER_CLASSES_OF = {GuestTestMain.class, Warmup.class};

    /**
     * A trained archive.
     *
     * @param jars the jars in classpath order, as shipped to {@code cp/lib/<file name>}
     * @param archive the .jsa file
     * @param trainingTime how long training took (zero when it came from the cache)
     */
    public record Archive(List<Path> jars, Path archive, Duration trainingTime) {
        /** The guest classpath prefix the archive was made for ({@code cp/lib/a.jar:...}). */
        public List<String> guestClasspath() {
            return jars.stream().map(j -> "cp/lib/" + j.getFileName()).toList();
        }
    }

    private GuestCds() {}

    /**
     * The archive for these jars (shippable jars of the host classpath, runner first), training it
     * now if the cache has none. Empty with a reason printed when it cannot be made.
     */
    public static Optional<Archive> prepare(GuestImages images, List<Path> jars, List<String> jvmFlags) {
        Path jdk = images.runtimeDir().resolve("jdk-guest");
        Path sysroot = images.runtimeDir().resolve("sysroot");
        Optional<Path> qemu = HostQemuLauncher.findExecutable("qemu-ppc64le-static");
        if (!Files.isExecutable(jdk.resolve("bin/java")) || !Files.isDirectory(sysroot) || qemu.isEmpty()) {
            note("no CDS archive for JUnit: needs " + jdk + "/bin/java, " + sysroot + " and qemu-ppc64le-static");
            return Optional.empty();
        }
        try {
            byte[] runner = runnerJar();
            List<Path> sorted = jars.stream().sorted((a, b) -> a.getFileName().toString()
                    .compareTo(b.getFileName().toString())).toList();
            String key = key(runner, sorted, jdk, jvmFlags);
            Path root = GuestImages.cacheDir().resolve("harness/cds");
            Path dir = root.resolve(key);
            Path jsa = dir.resolve("junit.jsa");
            if (Files.isRegularFile(jsa) && Files.size(jsa) > 0) {
                Files.setLastModifiedTime(dir, FileTime.fromMillis(System.currentTimeMillis())); // recently used
                return Optional.of(new Archive(listJars(dir, sorted), jsa, Duration.ZERO));
            }
            long t0 = System.nanoTime();
            Files.createDirectories(root);
            Path tmp = Files.createTempDirectory(root, "train-");
            try {
                Path lib = Files.createDirectories(tmp.resolve("cp/lib"));
                Files.write(lib.resolve(RUNNER_JAR), runner);
                Files.setLastModifiedTime(lib.resolve(RUNNER_JAR), FIXED_MTIME);
                for (Path j : sorted) {
                    Files.copy(j, lib.resolve(j.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                List<String> cp = new ArrayList<>();
                cp.add("cp/lib/" + RUNNER_JAR);
                sorted.forEach(j -> cp.add("cp/lib/" + j.getFileName()));
                List<String> cmd = new ArrayList<>(List.of(qemu.get().toString(), "-L", sysroot.toString(),
                        jdk.resolve("bin/java").toString()));
                cmd.addAll(jvmFlags);
                cmd.addAll(List.of("-XX:ArchiveClassesAtExit=junit.jsa", "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
                        "-cp", String.join(":", cp), GuestTestMain.class.getName(), "--select-class",
                        Warmup.class.getName()));
                Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
                Path made = tmp.resolve("junit.jsa");
                if (!Files.isRegularFile(made) || Files.size(made) == 0) {
                    note("no CDS archive for JUnit: training under qemu-user failed:\n"
                            + new String(out, StandardCharsets.UTF_8).lines().limit(20).reduce("", (a, b) -> a + "  " + b + "\n"));
                    return Optional.empty();
                }
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    if (!Files.isRegularFile(jsa)) { // not just a concurrent trainer winning the race
                        throw e;
                    }
                }
                Duration took = Duration.ofNanos(System.nanoTime() - t0);
                note(String.format("trained a CDS archive for JUnit in %.1f s (%s)", took.toMillis() / 1000.0, dir));
                pruneOthers(root, key);
                return Optional.of(new Archive(listJars(dir, sorted), jsa, took));
            } finally {
                RunDirectory.deleteTree(tmp);
            }
        } catch (IOException | UncheckedIOException e) {
            note("no CDS archive for JUnit: " + e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static List<Path> listJars(Path dir, List<Path> sorted) {
        List<Path> out = new ArrayList<>();
        out.add(dir.resolve("cp/lib").resolve(RUNNER_JAR));
        sorted.forEach(j -> out.add(dir.resolve("cp/lib").resolve(j.getFileName())));
        return out;
    }

    /** A jar of the io.jvfio.harness.guest classes, byte-for-byte the same for the same classes. */
    static byte[] runnerJar() throws IOException {
        List<String> names = new ArrayList<>();
        for (Class<?> c : RUNNER_CLASSES_OF) {
            names.add(c.getName());
            for (Class<?> inner : c.getDeclaredClasses()) {
                names.add(inner.getName());
            }
        }
        names.add("io.jvfio.harness.guest.Json");
        names = names.stream().distinct().sorted().toList();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            for (String n : names) {
                String res = n.replace('.', '/') + ".class";
                try (InputStream in = GuestCds.class.getClassLoader().getResourceAsStream(res)) {
                    if (in == null) {
                        throw new IOException("class file not found: " + res);
                    }
                    JarEntry e = new JarEntry(res);
                    e.setTime(FIXED_MTIME.toMillis());
                    jar.putNextEntry(e);
                    in.transferTo(jar);
                    jar.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    private static String key(byte[] runner, List<Path> jars, Path jdk, List<String> flags) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(runner);
            for (Path j : jars) {
                d.update((j.getFileName() + " " + Files.size(j) + " " + Files.getLastModifiedTime(j).toMillis() / 1000 + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            for (String f : List.of("lib/modules", "lib/server/classes.jsa", "lib/server/libjvm.so")) {
                Path p = jdk.resolve(f);
                if (Files.exists(p)) {
                    d.update((f + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            d.update(String.join(" ", flags).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Keeps the {@value #KEEP} most recently used archives (other harnesses, e.g. the nested one, train
     * their own with other jar sets; evicting each other's would retrain on every run).
     */
    private static void pruneOthers(Path root, String keep) {
        try (Stream<Path> s = Files.list(root)) {
            List<Path> old = s.filter(p -> !p.getFileName().toString().equals(keep)
                            && !p.getFileName().toString().startsWith("train-"))
                    .sorted((a, b) -> Long.compare(mtime(b), mtime(a))).toList();
            old.stream().skip(KEEP - 1).forEach(RunDirectory::deleteTree);
        } catch (IOException e) {
            // best effort
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void note(String s) {
        System.err.println("[guest] " + s);
    }
}
