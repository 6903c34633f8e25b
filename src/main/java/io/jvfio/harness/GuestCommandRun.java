package io.jvfio.harness;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipFile;

/**
 * One user command in a fresh guest ({@code jvfio guest}): {@code jvfio ARGS...} from the shaded jar,
 * or any shell command, run in {@value GuestRun#GUEST_DIR} next to the shipped files, with {@code jvfio}
 * on the PATH. Its stdout and stderr come back separately ({@link #output}): stdout between
 * {@link JvfioBatch} markers, stderr collected in a file and printed after it.
 */
public final class GuestCommandRun {
    /** The jar's name in the guest's working directory. */
    public static final String JAR = "jvfio-all.jar";
    private static final String OUT = "stdout";
    private static final String ERR = "stderr";
    private static final String LAUNCHER = ".bin/jvfio";

    /** The command's exit status and its two streams. */
    public record Output(int exitStatus, String stdout, String stderr) {}

    private GuestCommandRun() {}

    /** {@code jvfio args...} in the guest. */
    public static GuestRun jvfio(Path jar, List<Path> ship, List<String> args) {
        return build("jvfio-guest", jar, ship, "jvfio " + String.join(" ", args.stream().map(GuestRun::shellQuote).toList()));
    }

    /** {@code sh -c command} in the guest ({@code jvfio} is on its PATH). */
    public static GuestRun shell(Path jar, List<Path> ship, String command) {
        return build("jvfio-guest-shell", jar, ship, "sh -c " + GuestRun.shellQuote(command));
    }

    private static GuestRun build(String name, Path jar, List<Path> ship, String command) {
        GuestRun.Builder b = GuestRun.builder(name).file(jar, JAR);
        for (Path p : ship) {
            String guest = p.toAbsolutePath().normalize().getFileName().toString();
            if (guest.equals(JAR) || guest.equals("run") || guest.startsWith(".")) {
                throw new IllegalArgumentException("cannot ship '" + p + "': the name '" + guest
                        + "' is taken in the guest's working directory (rename it)");
            }
            if (Files.isDirectory(p)) {
                b.tree(p, guest);
            } else if (Files.isRegularFile(p)) {
                b.file(p, guest);
            } else {
                throw new IllegalArgumentException("cannot ship '" + p + "': no such file or directory");
            }
        }
        String java = "exec \"$JAVA\" " + String.join(" ", GuestRun.JVM_FLAGS.stream().map(GuestRun::shellQuote).toList())
                + " -jar " + GuestRun.GUEST_DIR + "/" + JAR + " \"$@\"\n";
        b.text(LAUNCHER, "#!/bin/sh\n" + java, true);
        String script = "# jvfio guest: one command\n"
                + "PATH=" + GuestRun.GUEST_DIR + "/.bin:$PATH; export PATH JAVA\n"
                + "echo '" + JvfioBatch.BEGIN + OUT + "'\n"
                + command + " </dev/null 2>/tmp/jvfio-stderr\n"
                + "rc=$?\n"
                + "echo \"" + JvfioBatch.END + OUT + " rc=$rc\"\n"
                + "echo '" + JvfioBatch.BEGIN + ERR + "'\n"
                + "cat /tmp/jvfio-stderr\n"
                + "echo \"" + JvfioBatch.END + ERR + " rc=0\"\n"
                + "exit $rc\n";
        return b.script(script).build();
    }

    /** The command's outcome from the console of a completed run. */
    public static Output output(GuestResult r) {
        Map<String, CommandResult> c = JvfioBatch.results(r);
        CommandResult out = c.get(OUT);
        CommandResult err = c.get(ERR);
        return new Output(out == null ? r.exitStatus() : out.exitStatus(), out == null ? "" : out.output(),
                err == null ? "" : err.output());
    }

    /**
     * The jar to run in the guest: {@code -Djvfio.jar} or {@code $JVFIO_JAR}, else the jar this class
     * was loaded from when it is the self-contained (shaded) one, else {@link JvfioBatch#defaultJar()}.
     */
    public static Path jar() {
        String explicit = System.getProperty("jvfio.jar", System.getenv("JVFIO_JAR"));
        if (explicit != null && !explicit.isBlank()) {
            return requireJar(Path.of(explicit));
        }
        return ownShadedJar().orElseGet(() -> requireJar(JvfioBatch.defaultJar()));
    }

    private static Path requireJar(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new GuestUnavailableException("no jvfio jar at " + p + " (build it with make build, or set JVFIO_JAR)");
        }
        return p;
    }

    static Optional<Path> ownShadedJar() {
        try {
            CodeSource cs = GuestCommandRun.class.getProtectionDomain().getCodeSource();
            Path p = cs == null ? null : Path.of(cs.getLocation().toURI());
            if (p == null || !Files.isRegularFile(p)) {
                return Optional.empty();
            }
            try (ZipFile z = new ZipFile(p.toFile())) {
                // the plain jar lacks its dependencies and cannot run "java -jar" alone
                return z.getEntry("picocli/CommandLine.class") != null ? Optional.of(p) : Optional.empty();
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
