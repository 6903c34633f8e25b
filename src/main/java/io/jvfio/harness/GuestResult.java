package io.jvfio.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a guest run produced. The console is split by the /init contract:
 * <pre>
 * [init] t=... run          (the run script starts after this line)
 * ...the run script's output...
 * JVFIO-EXIT: rc
 * JVFIO-DMESG-BEGIN
 * ...the kernel log...
 * JVFIO-DMESG-END
 * </pre>
 *
 * @param name the run's name
 * @param launcher which launcher ran it
 * @param command the QEMU command line (as the launcher ran it)
 * @param exitStatus the run script's exit status from {@code JVFIO-EXIT}, or -1 when the line never came
 * @param qemuExitCode QEMU's own exit code (0 after the guest powered off), or -1 when killed
 * @param timedOut whether the run was killed at the machine's timeout
 * @param lines the console, line by line with arrival times
 * @param qemuStderr what QEMU itself wrote to stderr
 * @param timing the milestones
 */
public record GuestResult(String name, String launcher, List<String> command, int exitStatus, int qemuExitCode,
        boolean timedOut, List<ConsoleLine> lines, String qemuStderr, GuestTiming timing) {
    public static final String EXIT_MARKER = "JVFIO-EXIT: ";
    public static final String DMESG_BEGIN = "JVFIO-DMESG-BEGIN";
    public static final String DMESG_END = "JVFIO-DMESG-END";
    private static final Pattern EXIT_LINE = Pattern.compile("JVFIO-EXIT: (-?\\d+)");
    private static final Pattern RUN_START = Pattern.compile("^\\[init\\] t=\\S+ run$");
    /** A printk line as the console shows it: {@code [   12.345678] ...}. */
    private static final Pattern PRINTK = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]");
    /** The kernel messages that fail a run. */
    public static final Pattern KERNEL_PROBLEM = Pattern.compile("Oops|BUG:|WARNING:|Kernel panic|kernel BUG");
    /**
     * Kernel messages that match {@link #KERNEL_PROBLEM} but are the emulated platform's normal
     * state, never a bug: VOF hands the kernel an empty NVRAM, which nvram_64.c reports with a
     * pr_warn "WARNING:" on every boot.
     */
    public static final List<Pattern> BENIGN_KERNEL_MESSAGES =
            List.of(Pattern.compile("WARNING: nvram corruption detected: 0-length partition"));
    private static final int PROBLEM_CONTEXT_LINES = 14;

    public GuestResult {
        command = List.copyOf(command);
        lines = List.copyOf(lines);
    }

    /** Builds the result from a finished (or killed) QEMU's console. */
    public static GuestResult parse(String name, String launcher, List<String> command, List<ConsoleLine> lines,
            String qemuStderr, int qemuExitCode, boolean timedOut, Duration total) {
        int exit = -1;
        Duration init = null;
        Duration runOut = null;
        Duration exitAt = null;
        boolean runStarted = false;
        for (ConsoleLine l : lines) {
            if (init == null && l.text().startsWith("[init]")) {
                init = Duration.ofMillis(l.atMillis());
            }
            if (runStarted && runOut == null) {
                runOut = Duration.ofMillis(l.atMillis());
            }
            if (!runStarted && RUN_START.matcher(l.text()).matches()) {
                runStarted = true;
            }
            Matcher m = EXIT_LINE.matcher(l.text());
            if (exitAt == null && l.text().startsWith(EXIT_MARKER) && m.lookingAt()) {
                exit = Integer.parseInt(m.group(1));
                exitAt = Duration.ofMillis(l.atMillis());
            }
        }
        return new GuestResult(name, launcher, command, exit, qemuExitCode, timedOut, lines,
                qemuStderr == null ? "" : qemuStderr, new GuestTiming(init, runOut, exitAt, total));
    }

    /** Whether /init reported the run script's end (the guest did not die or hang first). */
    public boolean completed() {
        return exitStatus >= 0 && lines.stream().anyMatch(l -> l.text().equals(DMESG_END));
    }

    /** The whole console as text. */
    public String console() {
        StringBuilder b = new StringBuilder();
        for (ConsoleLine l : lines) {
            b.append(l.text()).append('\n');
        }
        return b.toString();
    }

    /** The run script's output: the lines after /init's run line and before the exit line. */
    public List<String> runOutput() {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (ConsoleLine l : lines) {
            String t = l.text();
            if (!in) {
                in = RUN_START.matcher(t).matches();
                continue;
            }
            if (t.startsWith(EXIT_MARKER)) {
                break;
            }
            out.add(t);
        }
        if (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast(); // /init's blank line before the exit line
        }
        return out;
    }

    /** The kernel log /init printed after the run (empty when the guest never got there). */
    public List<String> dmesg() {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (ConsoleLine l : lines) {
            if (l.text().equals(DMESG_BEGIN)) {
                in = true;
            } else if (l.text().equals(DMESG_END)) {
                break;
            } else if (in) {
                out.add(l.text());
            }
        }
        return out;
    }

    /** When the first console line matching {@code p} arrived. */
    public Optional<Duration> firstLineAt(Predicate<String> p) {
        return lines.stream().filter(l -> p.test(l.text())).findFirst().map(l -> Duration.ofMillis(l.atMillis()));
    }

    /**
     * Every Oops, BUG, WARNING or panic the kernel logged, each with the lines after it (the trace).
     * Reads the dmesg section; when the guest never printed it, the printk lines of the console.
     * Messages matching a {@code tolerated} pattern or {@link #BENIGN_KERNEL_MESSAGES} are left out.
     */
    public List<String> kernelProblems(List<Pattern> tolerated) {
        List<String> source = dmesg();
        boolean fromConsole = source.isEmpty();
        if (fromConsole) {
            source = lines.stream().map(ConsoleLine::text).filter(t -> PRINTK.matcher(t).find()).toList();
        }
        List<String> problems = new ArrayList<>();
        int coveredUntil = -1;
        for (int i = 0; i < source.size(); i++) {
            String t = source.get(i);
            if (i <= coveredUntil || !KERNEL_PROBLEM.matcher(t).find()) {
                continue;
            }
            if (tolerated.stream().anyMatch(p -> p.matcher(t).find())
                    || BENIGN_KERNEL_MESSAGES.stream().anyMatch(p -> p.matcher(t).find())) {
                continue;
            }
            int end = Math.min(source.size(), i + 1 + PROBLEM_CONTEXT_LINES);
            problems.add(String.join("\n", source.subList(i, end)));
            coveredUntil = end - 1;
        }
        return problems;
    }

    /** One line: name, launcher, exit status, timing. */
    public String summary() {
        return String.format("%s (%s): exit %s%s, %s", name, launcher,
                exitStatus < 0 ? "none" : Integer.toString(exitStatus), timedOut ? " (TIMED OUT)" : "", timing);
    }
}
