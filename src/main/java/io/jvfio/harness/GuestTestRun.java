package io.jvfio.harness;

import io.jvfio.harness.guest.GuestTestMain;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A {@link GuestRun} that runs JUnit tests in the guest with {@link GuestTestMain}: ships the class
 * directories and the allowed jars of a host classpath, and a script that starts the guest JVM with
 * {@link GuestRun#JVM_FLAGS}. Read the outcome with {@link GuestTestResults#parse}.
 *
 * <p>Only the jars tests need at run time are shipped ({@link #DEFAULT_JARS}): JUnit Jupiter and the
 * Platform, opentest4j, apiguardian, slf4j, picocli, jackson and jqwik's API (so classes that mention
 * it still load). Never testcontainers, docker, JMH, JNR, and never jqwik's engine: it would run the
 * properties (under TCG, for minutes); {@code GuestTestMain} also runs only the Jupiter engine unless told.
 */
public final class GuestTestRun {
    /** Jar name prefixes (before {@code -<version>.jar}) shipped by default. */
    public static final List<String> DEFAULT_JARS = List.of("junit-jupiter-api", "junit-jupiter-engine",
            "junit-jupiter-params", "junit-platform-commons", "junit-platform-engine", "junit-platform-launcher",
            "opentest4j", "apiguardian-api", "slf4j-api", "slf4j-simple", "picocli", "jackson-core",
            "jackson-databind", "jackson-annotations", "jqwik-api");

    private GuestTestRun() {}

    /**
     * The test classpath of this JVM: surefire's {@code surefire.test.class.path} when set (the real
     * classpath behind its manifest-only booter jar), else {@code java.class.path}; then the module
     * path ({@code jdk.module.path}: jvfio and its dependencies when the tests run as module
     * {@code io.jvfio}). The guest JVM gets them all on its classpath.
     */
    public static List<Path> hostClasspath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path", "");
        }
        List<Path> out = new ArrayList<>();
        for (String e : (cp + File.pathSeparator + System.getProperty("jdk.module.path", "")).split(File.pathSeparator)) {
            if (!e.isBlank() && !out.contains(Path.of(e))) {
                out.add(Path.of(e));
            }
        }
        return out;
    }

    /** Whether a jar's file name is one of {@link #DEFAULT_JARS} (any version). */
    public static boolean defaultJar(String fileName) {
        for (String p : DEFAULT_JARS) {
            if (fileName.startsWith(p + "-") && fileName.endsWith(".jar")
                    && Character.isDigit(fileName.charAt(p.length() + 1))) {
                return true;
            }
        }
        return false;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builder of the test run. */
    public static final class Builder {
        private final String name;
        private List<Path> classpath = hostClasspath();
        private Predicate<String> jarFilter = GuestTestRun::defaultJar;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmFlags = new ArrayList<>(GuestRun.JVM_FLAGS);
        private final Map<String, String> props = new LinkedHashMap<>();
        private final List<String> tolerated = new ArrayList<>();
        private final Map<String, Path> extraFiles = new LinkedHashMap<>();
        private GuestImages cdsImages;
        private GuestCds.Archive archive;
        private GuestUser user;
        private String setup = "";
        private final List<Phase> phases = new ArrayList<>();

        /** A further JVM of the run: root shell lines first, then GuestTestMain with these arguments and properties. */
        private record Phase(String rootShell, List<String> args, Map<String, String> props) {}

        private Builder(String name) {
            this.name = name;
        }

        /** The host classpath to ship from (default: {@link #hostClasspath()}). */
        public Builder classpath(List<Path> entries) {
            this.classpath = List.copyOf(entries);
            return this;
        }

        /** Which jars (by file name) to ship (default: {@link #defaultJar}). Directories always go. */
        public Builder jars(Predicate<String> fileNameFilter) {
            this.jarFilter = fileNameFilter;
            return this;
        }

        public Builder selectPackage(String pkg) {
            return arg("--select-package", pkg);
        }

        public Builder selectClass(String className) {
            return arg("--select-class", className);
        }

        public Builder selectMethod(String classAndMethod) {
            return arg("--select-method", classAndMethod);
        }

        public Builder includeTag(String tag) {
            return arg("--include-tag", tag);
        }

        public Builder excludeTag(String tag) {
            return arg("--exclude-tag", tag);
        }

        /** A system property of the guest JVM ({@code -Dkey=value} on its command line). */
        public Builder systemProperty(String key, String value) {
            props.put(key, value);
            return this;
        }

        public Builder jvmFlag(String flag) {
            jvmFlags.add(flag);
            return this;
        }

        /**
         * Start the guest JVM with an AOT cache (a CDS archive of loaded and linked classes: JUnit's, the
         * run's test classes as discovery loads them, jvfio's FFM path; {@link GuestCds}), trained now
         * with {@code images}' runtime under qemu-user unless cached; seconds faster per boot. Without
         * it (or when it cannot be made) the run works the same, only slower.
         */
        public Builder cds(GuestImages images) {
            this.cdsImages = images;
            return this;
        }

        /**
         * {@link #cds(GuestImages)} for a guest of {@code flavour}: none for the 64 KiB-page kernel, whose
         * JVM cannot map a cache laid out for 4 KiB pages (it would warn and start without it).
         */
        public Builder cds(GuestImages images, GuestImages.Flavour flavour) {
            return flavour == GuestImages.Flavour.K4 ? cds(images) : this;
        }

        /** The AOT cache the last {@link #build()} used, if any. */
        public java.util.Optional<GuestCds.Archive> cdsArchive() {
            return java.util.Optional.ofNullable(archive);
        }

        /** Ships an extra host file to {@value GuestRun#GUEST_DIR}/{@code guestPath} (e.g. test data). */
        public Builder file(Path source, String guestPath) {
            extraFiles.put(guestPath, source);
            return this;
        }

        public Builder tolerateKernelMessage(String regex) {
            tolerated.add(regex);
            return this;
        }

        /**
         * Starts every JVM of the run as {@code user} (its passwd entry, {@code RLIMIT_MEMLOCK}, no
         * capabilities), the whole process before it starts, instead of as root.
         */
        public Builder asUser(GuestUser u) {
            this.user = u;
            return this;
        }

        /** Shell lines the run script runs as root before the first JVM (e.g. handing device nodes over). */
        public Builder setup(String rootShell) {
            this.setup = rootShell.endsWith("\n") || rootShell.isEmpty() ? rootShell : rootShell + "\n";
            return this;
        }

        /**
         * After the JVM of the selections so far: {@code rootShell} as root, then one more JVM with the
         * same classpath and flags, GuestTestMain {@code mainArgs} (selections, tags) and the base system
         * properties plus {@code props}. The run's exit status is the first non-zero one.
         */
        public Builder then(String rootShell, List<String> mainArgs, Map<String, String> props) {
            phases.add(new Phase(rootShell, List.copyOf(mainArgs), Map.copyOf(props)));
            return this;
        }

        private Builder arg(String k, String v) {
            args.add(k);
            args.add(v);
            return this;
        }

        public GuestRun build() {
            if (args.stream().noneMatch(a -> a.startsWith("--select-"))) {
                throw new IllegalStateException("select a package, class or method to run");
            }
            GuestRun.Builder b = GuestRun.builder(name);
            List<Path> jars = classpath.stream().filter(e -> Files.isRegularFile(e)
                    && jarFilter.test(e.getFileName().toString())).toList();
            List<Path> classDirs = classpath.stream().filter(Files::isDirectory).toList();
            archive = cdsImages == null ? null
                    : GuestCds.prepare(cdsImages, jars, classDirs, trainingClasses(classDirs), jvmFlags).orElse(null);
            List<String> guestCp = new ArrayList<>();
            List<String> flags = archive == null ? jvmFlags : archive.jvmFlags(jvmFlags);
            if (archive != null) {
                // the cache's jars first, exactly as trained; class directories after
                for (Path j : archive.jars()) {
                    b.file(j, "cp/lib/" + j.getFileName());
                }
                guestCp.addAll(archive.guestClasspath());
                b.file(archive.archive(), GuestCds.GUEST_ARCHIVE);
            }
            int dirs = 0;
            for (Path e : classpath) {
                if (Files.isDirectory(e)) {
                    String g = "cp/" + dirs++ + "-" + e.getFileName();
                    b.tree(e, g);
                    guestCp.add(g);
                } else if (archive == null && jars.contains(e)) {
                    String g = "cp/lib/" + e.getFileName();
                    b.file(e, g);
                    guestCp.add(g);
                }
            }
            tolerated.forEach(b::tolerateKernelMessage);
            extraFiles.forEach((guest, host) -> b.file(host, guest));
            String head = "# jvfio in-guest tests\n"
                    + "read -r up _ </proc/uptime; echo \"[run] t=$up java\"\n";
            String first = javaCommand(flags, guestCp, props, args);
            if (user == null && phases.isEmpty() && setup.isEmpty()) {
                return b.script(head + "exec " + first + " </dev/null 2>&1\n").build();
            }
            StringBuilder script = new StringBuilder(head).append(setup);
            if (user != null) {
                script.append(user.passwdLines());
            }
            script.append(launch(first)).append("\nrc=$?\n");
            for (Phase p : phases) {
                Map<String, String> merged = new LinkedHashMap<>(props);
                merged.putAll(p.props());
                script.append(p.rootShell().endsWith("\n") ? p.rootShell() : p.rootShell() + "\n")
                        .append(launch(javaCommand(flags, guestCp, merged, p.args())))
                        .append("\nr=$?; [ \"$rc\" -ne 0 ] || rc=$r\n");
            }
            return b.script(script.append("exit $rc\n").toString()).build();
        }

        /** What the AOT cache's training discovers for the selections of all the run's JVMs. */
        private List<String> trainingClasses(List<Path> classDirs) {
            List<String> all = new ArrayList<>(args);
            phases.forEach(p -> all.addAll(p.args()));
            return GuestCds.trainingClasses(all, classDirs);
        }

        private static String javaCommand(List<String> flags, List<String> guestCp, Map<String, String> props,
                List<String> mainArgs) {
            List<String> cmd = new ArrayList<>();
            cmd.add("\"$JAVA\"");
            flags.forEach(f -> cmd.add(GuestRun.shellQuote(f)));
            props.forEach((k, v) -> cmd.add(GuestRun.shellQuote("-D" + k + "=" + v)));
            cmd.add("-cp");
            cmd.add(GuestRun.shellQuote(String.join(":", guestCp)));
            cmd.add(GuestTestMain.class.getName());
            mainArgs.forEach(a -> cmd.add(GuestRun.shellQuote(a)));
            return String.join(" ", cmd);
        }

        /** The JVM command as root, or as the user: a subshell with the limit, su to the user. */
        private String launch(String javaCommand) {
            return user == null ? javaCommand + " </dev/null 2>&1" : user.launch(javaCommand + " </dev/null 2>&1");
        }
    }
}
