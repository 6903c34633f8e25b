package io.jvfio.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one boot does: files shipped into the guest under {@code /jvfio} and the shell script
 * {@code /jvfio/run} that the guest's /init runs (busybox sh, cwd {@code /jvfio}, {@code $JAVA} set to
 * the guest's {@code /opt/jdk/bin/java}, output on the console; its exit status comes back as
 * {@link GuestResult#exitStatus()}). The files and the script travel as a newc archive appended to
 * the base initramfs ({@link #writeOverlay}).
 *
 * <pre>{@code
 * GuestRun run = GuestRun.builder("probe")
 *         .file(Path.of("target/jvfio-all.jar"), "jvfio-all.jar")
 *         .script("exec \"$JAVA\" -jar jvfio-all.jar info")
 *         .build();
 * }</pre>
 */
public final class GuestRun {
    /** Where the run's files live in the guest; the script's working directory. */
    public static final String GUEST_DIR = "/jvfio";
    /**
     * The JVM options every guest Java command should use: C1 only (the best start-up/throughput
     * balance under TCG), the serial collector (one CPU), the runtime's CDS archive when it matches,
     * and native access for FFM.
     */
    public static final List<String> JVM_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Xshare:auto", "--enable-native-access=ALL-UNNAMED");

    private final String name;
    private final String script;
    private final Map<String, Entry> files;
    private final List<Pattern> toleratedKernelMessages;

    /** One shipped file: from the host, or literal content. */
    private record Entry(Path source, byte[] content, int mode) {}

    private GuestRun(Builder b) {
        this.name = b.name;
        this.script = b.script;
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(b.files));
        this.toleratedKernelMessages = List.copyOf(b.tolerated);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Any jvfio command in the guest: ships {@code target/jvfio-all.jar} (from {@code make build}) and
     * runs {@code java -jar jvfio-all.jar args...}. Read the outcome with {@link JvfioBatch#result}.
     * For several commands in one boot use {@link JvfioBatch}.
     */
    public static GuestRun jvfio(String... args) {
        return JvfioBatch.create().command("jvfio", args).build("jvfio-" + (args.length == 0 ? "run" : args[0]));
    }

    /** A name for logs and the saved console (letters, digits, dot, dash, underscore). */
    public String name() {
        return name;
    }

    public String script() {
        return script;
    }

    /** Guest path (relative to {@value #GUEST_DIR}) of every shipped file, in shipping order. */
    public List<String> guestPaths() {
        return List.copyOf(files.keySet());
    }

    /** Kernel messages matching these do not fail the run (e.g. a WARNING a test provokes on purpose). */
    public List<Pattern> toleratedKernelMessages() {
        return toleratedKernelMessages;
    }

    /** Bytes of payload shipped (files and script). */
    public long payloadBytes() {
        long n = script.length();
        for (Entry e : files.values()) {
            try {
                n += e.source != null ? Files.size(e.source) : e.content.length;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return n;
    }

    /** Writes the overlay archive: {@code jvfio/run} and every file under {@code jvfio/}. */
    public void writeOverlay(OutputStream out) throws IOException {
        try (Cpio cpio = new Cpio(out)) {
            cpio.directory("jvfio", 0755);
            cpio.file("jvfio/run", 0755, script.getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, Entry> f : files.entrySet()) {
                Entry e = f.getValue();
                if (e.source != null) {
                    cpio.file("jvfio/" + f.getKey(), e.mode, e.source);
                } else {
                    cpio.file("jvfio/" + f.getKey(), e.mode, e.content);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "GuestRun[" + name + ", " + files.size() + " files]";
    }

    /** Single-quotes a word for the guest's sh. */
    public static String shellQuote(String s) {
        if (!s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0)) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** Builder of a {@link GuestRun}. */
    public static final class Builder {
        private final String name;
        private String script = "echo 'empty run'\n";
        private final Map<String, Entry> files = new LinkedHashMap<>();
        private final List<Pattern> tolerated = new ArrayList<>();

        private Builder(String name) {
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("run name must be [A-Za-z0-9._-]+: '" + name + "'");
            }
            this.name = name;
        }

        /** Ships host file {@code source} to {@value #GUEST_DIR}/{@code guestPath} (mode from the host). */
        public Builder file(Path source, String guestPath) {
            if (!Files.isRegularFile(source)) {
                throw new IllegalArgumentException("not a file: " + source);
            }
            return put(guestPath, new Entry(source, null, Files.isExecutable(source) ? 0755 : 0644));
        }

        /** Ships every regular file under {@code sourceDir} to {@value #GUEST_DIR}/{@code guestDir}/... */
        public Builder tree(Path sourceDir, String guestDir) {
            if (!Files.isDirectory(sourceDir)) {
                throw new IllegalArgumentException("not a directory: " + sourceDir);
            }
            try (Stream<Path> s = Files.walk(sourceDir)) {
                s.filter(Files::isRegularFile).sorted().forEach(p -> {
                    String rel = sourceDir.relativize(p).toString().replace('\\', '/');
                    file(p, guestDir.isEmpty() ? rel : guestDir + "/" + rel);
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** Ships literal text. */
        public Builder text(String guestPath, String content, boolean executable) {
            return put(guestPath, new Entry(null, content.getBytes(StandardCharsets.UTF_8), executable ? 0755 : 0644));
        }

        /** The script /init runs as {@code sh /jvfio/run} (a {@code #!} line is not needed). */
        public Builder script(String script) {
            this.script = Objects.requireNonNull(script).endsWith("\n") ? script : script + "\n";
            return this;
        }

        /** Kernel messages matching {@code regex} will not fail the run. */
        public Builder tolerateKernelMessage(String regex) {
            tolerated.add(Pattern.compile(regex));
            return this;
        }

        private Builder put(String guestPath, Entry e) {
            String p = guestPath.startsWith(GUEST_DIR + "/") ? guestPath.substring(GUEST_DIR.length() + 1) : guestPath;
            if (p.isEmpty() || p.startsWith("/") || p.equals("run") || List.of(p.split("/")).contains("..")) {
                throw new IllegalArgumentException("guest path must be relative to " + GUEST_DIR
                        + " (and not 'run'): '" + guestPath + "'");
            }
            files.put(p, e);
            return this;
        }

        public GuestRun build() {
            return new GuestRun(this);
        }
    }
}
