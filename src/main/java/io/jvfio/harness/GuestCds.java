package io.jvfio.harness;

import io.jvfio.harness.guest.GuestTestMain;
import io.jvfio.harness.guest.Warmup;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The guest JVM's ahead-of-time cache (JDK 25's AOT cache, JEP 483/514: a CDS archive of classes
 * already loaded and linked) for a test run: under TCG, loading, verifying and linking the ~1,500
 * classes of a JUnit start-up and discovery costs seconds per boot; from the cache they map in. It is
 * trained on the host by running the guest's own runtime under qemu-user, in two steps
 * ({@code -XX:AOTMode=record}, then {@code create}; the one-step {@code -XX:AOTCacheOutput} forks a
 * child JVM, which qemu-user does not run): {@link Warmup} is run (JUnit's execution classes and jvfio's
 * FFM downcalls), and the run's own test classes are discovered but not run ({@code GuestTestMain
 * --discover}), so nothing of the user's tests executes on the host. Cached under
 * {@code $JVFIO_CACHE/harness/cds/<key>}; the key covers the runner, the jars, the bytes of the
 * classes, the runtime, the JVM flags and the classes trained.
 *
 * <p>An AOT cache only holds classes from jars, and only while the run-time classpath starts with the
 * training one, jar for jar (same paths, sizes and mtimes), and training rejects non-empty directories
 * on the classpath. So the guest gets: the runner jar ({@code GuestTestMain}, {@code Warmup}), the
 * shipped jars, then each class directory's {@code .class} files as a jar made here (fixed entry order
 * and times, so the same classes give the same bytes), all first on its classpath; the class
 * directories themselves follow, for their resources (read as files, as on the host) and for JUnit's
 * package scan, whose class names then load from the jars. When anything is missing (qemu-user, the
 * images' sysroot) there is no cache and the run is only slower; a stale cache is ignored by the JVM.
 */
public final class GuestCds {
    /** The runner jar's name inside {@code cp/lib}. */
    public static final String RUNNER_JAR = "jvfio-guest-runner.jar";
    /** Where the cache goes in the guest, relative to /jvfio. */
    public static final String GUEST_ARCHIVE = "cds/junit.aot";
    /** Caches kept: one per set of classes and jars (a build's test classes, another project's). */
    private static final int KEEP = 16;
    private static final String LOCK = "train.lock";
    private static final FileTime FIXED_MTIME = FileTime.fromMillis(1_000_000_000_000L);
    private static final Class<?>[] RUNNER_CLASSES_OF = {GuestTestMain.class, Warmup.class};

    /**
     * A trained cache.
     *
     * @param jars the jars in classpath order, as shipped to {@code cp/lib/<file name>}
     * @param archive the AOT cache file
     * @param trainingTime how long training took (zero when it came from the cache)
     */
    public record Archive(List<Path> jars, Path archive, Duration trainingTime) {
        /** The guest classpath prefix the cache was made for ({@code cp/lib/a.jar:...}). */
        public List<String> guestClasspath() {
            return jars.stream().map(j -> "cp/lib/" + j.getFileName()).toList();
        }

        /** {@code flags} with the cache: {@code -XX:AOTCache} excludes every {@code -Xshare} option. */
        public List<String> jvmFlags(List<String> flags) {
            List<String> out = new ArrayList<>(withoutXshare(flags));
            out.add("-XX:AOTCache=" + GUEST_ARCHIVE);
            return out;
        }
    }

    private GuestCds() {}

    /**
     * The cache for a run: its shippable jars ({@code jars}), its class directories ({@code classDirs},
     * in classpath order), the classes training discovers ({@code trainClasses}, from
     * {@link #trainingClasses}) and its JVM flags. Trained now unless cached; empty, with a reason printed, when it
     * cannot be made.
     */
    public static Optional<Archive> prepare(GuestImages images, List<Path> jars, List<Path> classDirs,
            List<String> trainClasses, List<String> jvmFlags) {
        Path jdk = images.runtimeDir().resolve("jdk-guest");
        Path sysroot = images.runtimeDir().resolve("sysroot");
        Optional<Path> qemu = HostQemuLauncher.findExecutable("qemu-ppc64le-static");
        if (!Files.isExecutable(jdk.resolve("bin/java")) || !Files.isDirectory(sysroot) || qemu.isEmpty()) {
            note("no AOT cache for the guest JVM: needs " + jdk + "/bin/java, " + sysroot + " and qemu-ppc64le-static");
            return Optional.empty();
        }
        try {
            Map<String, byte[]> made = new LinkedHashMap<>(); // runner first, then the class directories' jars
            made.put(RUNNER_JAR, runnerJar());
            for (int i = 0; i < classDirs.size(); i++) {
                byte[] jar = classesJar(classDirs.get(i));
                if (jar != null) {
                    made.put("classes-" + i + "-" + classDirs.get(i).getFileName() + ".jar", jar);
                }
            }
            List<Path> sorted = jars.stream().sorted((a, b) -> a.getFileName().toString()
                    .compareTo(b.getFileName().toString())).toList();
            List<String> flags = withoutXshare(jvmFlags);
            String key = key(made, sorted, jdk, flags, trainClasses);
            Path root = GuestImages.cacheDir().resolve("harness/cds");
            Path dir = root.resolve(key);
            Path aot = dir.resolve("junit.aot");
            if (Files.isRegularFile(aot) && Files.size(aot) > 0) {
                Files.setLastModifiedTime(dir, FileTime.fromMillis(System.currentTimeMillis())); // recently used
                return Optional.of(new Archive(classpathJars(dir, made, sorted), aot, Duration.ZERO));
            }
            Files.createDirectories(root);
            // One trainer at a time, across JVMs (make test's stages start together and mostly want the
            // same cache): a waiter then finds it made.
            synchronized (GuestCds.class) {
                try (FileChannel ch = FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE); FileLock held = ch.lock()) {
                    if (Files.isRegularFile(aot) && Files.size(aot) > 0) {
                        return Optional.of(new Archive(classpathJars(dir, made, sorted), aot, Duration.ZERO));
                    }
                    return train(qemu.get(), sysroot, jdk, made, sorted, flags, trainClasses, root, key);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            note("no AOT cache for the guest JVM: " + e);
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<Archive> train(Path qemu, Path sysroot, Path jdk, Map<String, byte[]> made, List<Path> sorted,
            List<String> flags, List<String> trainClasses, Path root, String key)
            throws IOException, InterruptedException {
        Path dir = root.resolve(key);
        Path aot = dir.resolve("junit.aot");
        long t0 = System.nanoTime();
        Path tmp = Files.createTempDirectory(root, "train-");
        try {
            Path lib = Files.createDirectories(tmp.resolve("cp/lib"));
            for (Map.Entry<String, byte[]> e : made.entrySet()) {
                Files.write(lib.resolve(e.getKey()), e.getValue());
                Files.setLastModifiedTime(lib.resolve(e.getKey()), FIXED_MTIME);
            }
            for (Path j : sorted) {
                Files.copy(j, lib.resolve(j.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
            String cp = String.join(":", classpathJars(tmp, made, sorted).stream()
                    .map(j -> "cp/lib/" + j.getFileName()).toList());
            List<String> java = new ArrayList<>(List.of(qemu.toString(), "-L", sysroot.toString(),
                    jdk.resolve("bin/java").toString()));
            java.addAll(flags);
            List<String> record = new ArrayList<>(java);
            record.addAll(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=junit.aotconf", "-Xlog:aot=off",
                    "-cp", cp, GuestTestMain.class.getName(), "--select-class", Warmup.class.getName()));
            trainClasses.forEach(c -> record.addAll(List.of("--discover", c)));
            List<String> create = new ArrayList<>(java);
            create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=junit.aotconf",
                    "-XX:AOTCache=junit.aot", "-Xlog:aot=warning", "-cp", cp));
            String out = exec(record, tmp) + exec(create, tmp);
            Files.deleteIfExists(tmp.resolve("junit.aotconf"));
            Path trained = tmp.resolve("junit.aot");
            if (!Files.isRegularFile(trained) || Files.size(trained) == 0) {
                note("no AOT cache for the guest JVM: training under qemu-user failed:\n"
                        + out.lines().filter(l -> !l.startsWith(GuestTestMain.TEST_PREFIX)).limit(20)
                                .reduce("", (a, b) -> a + "  " + b + "\n"));
                return Optional.empty();
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(aot)) { // not just a concurrent trainer winning the race
                    throw e;
                }
            }
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            note(String.format("trained an AOT cache for the guest JVM in %.1f s (%d classes discovered, %.1f MB, %s)",
                    took.toMillis() / 1000.0, trainClasses.size(), Files.size(aot) / 1e6, dir));
            pruneOthers(root, key);
            return Optional.of(new Archive(classpathJars(dir, made, sorted), aot, took));
        } finally {
            RunDirectory.deleteTree(tmp);
        }
    }

    /**
     * What the training discovers for a run: every top-level class of each class directory that holds
     * a class the run's GuestTestMain arguments select ({@code --select-class C}, {@code --select-method
     * C#m}, every class under {@code --select-package P}). Whole directories rather than the selection,
     * so that all runs selecting from one directory (a build's test classes) share one cache: training
     * costs 10-50 s under qemu-user, discovering 200 classes more only seconds.
     */
    public static List<String> trainingClasses(List<String> mainArgs, List<Path> classDirs) {
        TreeSet<String> out = new TreeSet<>();
        for (Path d : classDirs) {
            List<String> all = topLevelClasses(d, "");
            List<String> selected = selectedClasses(mainArgs, all).stream()
                    .filter(c -> all.contains(c.indexOf('$') < 0 ? c : c.substring(0, c.indexOf('$')))).toList();
            if (!selected.isEmpty()) {
                out.addAll(all);
                out.addAll(selected); // a selected nested class too, as the run names it
            }
        }
        return List.copyOf(out);
    }

    /** The classes of {@code known} (plus any named by class) that {@code mainArgs} select. */
    static List<String> selectedClasses(List<String> mainArgs, List<String> known) {
        TreeSet<String> out = new TreeSet<>();
        for (int i = 0; i + 1 < mainArgs.size(); i++) {
            String v = mainArgs.get(i + 1);
            switch (mainArgs.get(i)) {
                case "--select-class", "-c" -> out.add(v);
                case "--select-method", "-m" -> out.add(v.substring(0, v.indexOf('#') < 0 ? v.length() : v.indexOf('#')));
                case "--select-package", "-p" -> known.stream().filter(c -> c.startsWith(v + ".")).forEach(out::add);
                default -> {
                    continue;
                }
            }
            i++;
        }
        return List.copyOf(out);
    }

    private static List<String> topLevelClasses(Path dir, String pkg) {
        Path base = pkg.isEmpty() ? dir : dir.resolve(pkg.replace('.', '/'));
        if (!Files.isDirectory(base)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(base)) {
            return s.map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/'))
                    .filter(r -> r.endsWith(".class") && !r.contains("$") && !r.endsWith("module-info.class")
                            && !r.endsWith("package-info.class"))
                    .map(r -> r.substring(0, r.length() - ".class".length()).replace('/', '.')).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runner, the shipped jars (sorted), then the class directories' jars: the classpath order. */
    private static List<Path> classpathJars(Path dir, Map<String, byte[]> made, List<Path> sorted) {
        List<Path> out = new ArrayList<>();
        Path lib = dir.resolve("cp/lib");
        out.add(lib.resolve(RUNNER_JAR));
        sorted.forEach(j -> out.add(lib.resolve(j.getFileName())));
        made.keySet().stream().filter(n -> !n.equals(RUNNER_JAR)).forEach(n -> out.add(lib.resolve(n)));
        return out;
    }

    private static String exec(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static List<String> withoutXshare(List<String> flags) {
        return flags.stream().filter(f -> !f.startsWith("-Xshare:")).toList();
    }

    /** A jar of the io.jvfio.harness.guest classes, byte-for-byte the same for the same classes. */
    static byte[] runnerJar() throws IOException {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        List<String> names = new ArrayList<>();
        for (Class<?> c : RUNNER_CLASSES_OF) {
            names.add(c.getName());
            for (Class<?> inner : c.getDeclaredClasses()) {
                names.add(inner.getName());
            }
        }
        names.add("io.jvfio.harness.guest.Json");
        for (String n : names) {
            String res = n.replace('.', '/') + ".class";
            try (InputStream in = GuestCds.class.getClassLoader().getResourceAsStream(res)) {
                if (in == null) {
                    throw new IOException("class file not found: " + res);
                }
                entries.put(res, in.readAllBytes());
            }
        }
        return jar(entries);
    }

    /** The {@code .class} files of a directory as a jar (same classes, same bytes), or null if it has none. */
    static byte[] classesJar(Path dir) throws IOException {
        TreeMap<String, byte[]> entries = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString().replace(File.separatorChar, '/');
                if (rel.endsWith(".class") && !rel.equals("module-info.class") && !rel.startsWith("META-INF/")) {
                    entries.put(rel, Files.readAllBytes(p));
                }
            }
        }
        return entries.isEmpty() ? null : jar(entries);
    }

    private static byte[] jar(TreeMap<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                JarEntry je = new JarEntry(e.getKey());
                je.setTime(FIXED_MTIME.toMillis());
                jar.putNextEntry(je);
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String key(Map<String, byte[]> made, List<Path> jars, Path jdk, List<String> flags,
            List<String> trainClasses) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("aot-v1\n".getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> e : made.entrySet()) {
                d.update((e.getKey() + "\n").getBytes(StandardCharsets.UTF_8));
                d.update(e.getValue());
            }
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
            d.update(String.join("\n", trainClasses).getBytes(StandardCharsets.UTF_8));
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
                            && !p.getFileName().toString().startsWith("train-") && !p.getFileName().toString().equals(LOCK))
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
