package io.jvfio.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Several {@code jvfio} commands in one boot (a boot costs seconds; a command costs the JVM start).
 * The run script runs them in order and brackets each one's output with marker lines,
 * <pre>
 * &#64;&#64;JVFIO-CMD-BEGIN id
 * ...output...
 * &#64;&#64;JVFIO-CMD-END id rc=N
 * </pre>
 * which {@link #results} splits again. Host files the commands read are shipped with {@link #ship},
 * which returns the path to pass on the command line.
 *
 * <pre>{@code
 * JvfioBatch b = JvfioBatch.create();
 * String a = b.ship(Path.of("scenarios/map.scn"));
 * b.command("map", "run", a).command("info", "info");
 * GuestResult r = launcher.run(machine, images, b.build("diff"));
 * Map<String, CommandResult> out = JvfioBatch.results(r);
 * }</pre>
 */
public final class JvfioBatch {
    public static final String BEGIN = "@@JVFIO-CMD-BEGIN ";
    public static final String END = "@@JVFIO-CMD-END ";
    private static final Pattern END_LINE = Pattern.compile("@@JVFIO-CMD-END (\\S+) rc=(\\d+)");
    private static final String JAR = "jvfio-all.jar";

    private Path jar;
    private final List<String> jvmFlags = new ArrayList<>(GuestRun.JVM_FLAGS);
    private final Map<String, List<String>> commands = new LinkedHashMap<>();
    private final Map<String, Path> shipped = new LinkedHashMap<>();
    private final Set<String> shippedNames = new HashSet<>();
    private final List<String> tolerated = new ArrayList<>();

    private JvfioBatch() {}

    /** A batch running the shaded jar {@link #defaultJar()}. */
    public static JvfioBatch create() {
        return new JvfioBatch();
    }

    /**
     * {@code target/jvfio-all.jar} of the project ({@code -Djvfio.project.dir}, else the working
     * directory; else the newest {@code target/jvfio-*-all.jar}); {@code make build} makes it.
     */
    public static Path defaultJar() {
        Path target = Path.of(System.getProperty("jvfio.project.dir", ".")).resolve("target");
        Path jar = target.resolve(JAR);
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        // a versioned shade output (jvfio-<version>-all.jar), newest first, like bin/jvfio
        try (java.util.stream.Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("jvfio-.*-all\\.jar"))
                    .max(java.util.Comparator.comparingLong(p -> p.toFile().lastModified())).orElse(jar);
        } catch (java.io.IOException e) {
            return jar;
        }
    }

    /** Use another jar than {@link #defaultJar()}. */
    public JvfioBatch jar(Path jar) {
        this.jar = jar;
        return this;
    }

    /** An extra JVM option for every command (after {@link GuestRun#JVM_FLAGS}), e.g. {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug}. */
    public JvfioBatch jvmFlag(String flag) {
        jvmFlags.add(flag);
        return this;
    }

    /**
     * Ships a host file with the batch and returns its path in the guest relative to the working
     * directory, to use as a command argument. Shipping the same file twice returns the same path.
     */
    public String ship(Path hostFile) {
        for (Map.Entry<String, Path> e : shipped.entrySet()) {
            if (e.getValue().equals(hostFile)) {
                return e.getKey();
            }
        }
        String base = hostFile.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        String name = base;
        for (int i = 2; !shippedNames.add(name); i++) {
            name = i + "-" + base;
        }
        String guest = "files/" + name;
        shipped.put(guest, hostFile);
        return guest;
    }

    /** Adds {@code jvfio args...} under {@code id} (unique; letters, digits, dot, dash, underscore). */
    public JvfioBatch command(String id, String... args) {
        if (!id.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("command id must be [A-Za-z0-9._-]+: '" + id + "'");
        }
        if (commands.putIfAbsent(id, List.of(args)) != null) {
            throw new IllegalArgumentException("duplicate command id '" + id + "'");
        }
        return this;
    }

    /** The run script alone (for inspection). */
    public String script() {
        StringBuilder s = new StringBuilder();
        s.append("# jvfio batch: ").append(commands.size()).append(" command(s)\n");
        s.append("worst=0\n");
        String java = "\"$JAVA\" " + String.join(" ", jvmFlags.stream().map(GuestRun::shellQuote).toList())
                + " -jar " + JAR;
        for (Map.Entry<String, List<String>> c : commands.entrySet()) {
            s.append("echo '").append(BEGIN).append(c.getKey()).append("'\n");
            s.append(java);
            for (String a : c.getValue()) {
                s.append(' ').append(GuestRun.shellQuote(a));
            }
            s.append(" </dev/null 2>&1\n");
            s.append("rc=$?\n");
            s.append("echo \"").append(END).append(c.getKey()).append(" rc=$rc\"\n");
            s.append("[ $worst -ne 0 ] || worst=$rc\n");
        }
        s.append("exit $worst\n");
        return s.toString();
    }

    /** A kernel message (regex) that does not fail the run: a known kernel bug the batch provokes on purpose. */
    public JvfioBatch tolerateKernelMessage(String regex) {
        tolerated.add(regex);
        return this;
    }

    /** The run: the jar, the shipped files and the script. */
    public GuestRun build(String name) {
        if (commands.isEmpty()) {
            throw new IllegalStateException("no commands in the batch");
        }
        Path j = jar != null ? jar : defaultJar();
        if (!Files.isRegularFile(j)) {
            throw new GuestUnavailableException("no " + j + ": run make build (mvn -DskipTests package)");
        }
        GuestRun.Builder b = GuestRun.builder(name).file(j, JAR);
        shipped.forEach((guest, host) -> b.file(host, guest));
        tolerated.forEach(b::tolerateKernelMessage);
        return b.script(script()).build();
    }

    /** Every command's output and exit status, in the order they ran. */
    public static Map<String, CommandResult> results(GuestResult result) {
        Map<String, CommandResult> out = new LinkedHashMap<>();
        String current = null;
        StringBuilder text = new StringBuilder();
        for (String line : result.runOutput()) {
            if (current == null) {
                int i = line.indexOf(BEGIN);
                if (i >= 0) {
                    current = line.substring(i + BEGIN.length()).trim();
                    text.setLength(0);
                }
                continue;
            }
            int e = line.indexOf(END + current + " rc=");
            if (e >= 0) {
                Matcher m = END_LINE.matcher(line.substring(e));
                int rc = m.lookingAt() ? Integer.parseInt(m.group(2)) : -1;
                if (e > 0) {
                    text.append(line, 0, e).append('\n');
                }
                out.put(current, new CommandResult(current, rc, text.toString()));
                current = null;
            } else {
                text.append(line).append('\n');
            }
        }
        if (current != null) {
            out.put(current, new CommandResult(current, -1, text.toString()));
        }
        return out;
    }

    /** The outcome of the single command of a {@link GuestRun#jvfio} run. */
    public static CommandResult result(GuestResult result) {
        Optional<CommandResult> r = results(result).values().stream().findFirst();
        return r.orElseThrow(() -> new GuestRunException("no jvfio command output in the console of '"
                + result.name() + "'", result));
    }
}
