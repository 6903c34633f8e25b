package io.jvfio.harness.nested;

import io.jvfio.harness.ConsoleLine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestTestCase;
import io.jvfio.harness.GuestTestResults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a nested run produced. L0's console carries everything: L1's lines, L2's console forwarded
 * by L1 as {@code [L2] ...} lines, and the sections l1-run.sh prints after L2 (the QEMU trace, the
 * SPAPR operations, the verdict line). Times are host times since L0's start.
 *
 * @param name the run's name
 * @param machine the machine it ran on
 * @param outcome how it ended
 * @param reason the one-line failure reason (empty when {@link NestedOutcome#OK})
 * @param l0 L0's console and exit (L1's /init contract: L1's run status, L1's dmesg)
 * @param l2 L2's console, reassembled from the {@code [L2]} lines (L2's /init contract: its exit status,
 *     its dmesg); its {@link GuestResult#qemuStderr()} is what QEMU in L1 wrote to stderr
 * @param tests the in-L2 test results ({@code @@JVFIO-TEST} lines)
 * @param trace the raw trace QEMU in L1 recorded
 * @param ops the SPAPR operations extracted from it, in order
 * @param knownWarnings kernel warnings that are known and explained (the WARN on early QEMU exit)
 * @param kernelProblems Oops/BUG/WARNING reports of L1's or L2's kernel that are not known
 * @param timing the milestones of each layer
 */
public record NestedResult(String name, NestedMachine machine, NestedOutcome outcome, String reason, GuestResult l0,
        GuestResult l2, GuestTestResults tests, List<String> trace, List<SpaprOp> ops, List<String> knownWarnings,
        List<String> kernelProblems, NestedTiming timing) {

    public static final String L2_PREFIX = "[L2] ";
    public static final String FAIL_PREFIX = "NESTED-FAIL: ";
    public static final String OK_PREFIX = "NESTED-RESULT: ";
    public static final String KNOWN_WARN_PREFIX = "NESTED-KNOWN-WARN: ";
    public static final String TRACE_BEGIN = "NESTED-TRACE-BEGIN";
    public static final String TRACE_END = "NESTED-TRACE-END";
    /** The WARN L1's kernel gives when QEMU in L1 exits early (kvm_spapr_tce_release_vfio_group). */
    public static final Pattern KNOWN_WARN = Pattern.compile("virt/kvm/vfio\\.c:103|kvm_spapr_tce_release_vfio_group");
    private static final Pattern L2_START = Pattern.compile("^\\[L1\\] t=\\S+ starting L2: (.*)$");
    private static final Pattern L2_EXIT = Pattern.compile("^\\[L1\\] t=\\S+ L2's QEMU exited with status (-?\\d+)$");
    private static final String QEMU_ERR = "[L1] qemu: ";
    private static final Pattern DDW_CREATE = Pattern.compile("page size=0x([0-9a-f]+), requested=0x([0-9a-f]+)");

    public NestedResult {
        trace = List.copyOf(trace);
        ops = List.copyOf(ops);
        knownWarnings = List.copyOf(knownWarnings);
        kernelProblems = List.copyOf(kernelProblems);
    }

    /**
     * Reads a finished (or killed) L0 run.
     *
     * @param l0TimedOut whether the host killed L0 at {@link NestedMachine#timeout()}
     */
    public static NestedResult parse(String name, NestedMachine machine, GuestResult l0, boolean l0TimedOut) {
        List<ConsoleLine> l2Lines = new ArrayList<>();
        List<String> trace = new ArrayList<>();
        List<SpaprOp> ops = new ArrayList<>();
        List<String> known = new ArrayList<>();
        List<String> l2Command = List.of();
        StringBuilder l2Stderr = new StringBuilder();
        String verdict = null;
        int l2QemuExit = -1;
        Duration l2Start = null;
        boolean inTrace = false;
        for (ConsoleLine l : l0.lines()) {
            String t = l.text();
            if (t.startsWith(L2_PREFIX) || t.equals("[L2]")) {
                l2Lines.add(new ConsoleLine(l.atMillis(), t.length() <= L2_PREFIX.length() ? "" : t.substring(L2_PREFIX.length())));
                continue;
            }
            if (t.equals(TRACE_BEGIN)) {
                inTrace = true;
                continue;
            }
            if (t.equals(TRACE_END)) {
                inTrace = false;
                continue;
            }
            if (inTrace) {
                trace.add(t);
                continue;
            }
            Matcher m;
            if (t.startsWith(SpaprOp.PREFIX)) {
                SpaprOp.parse(t).ifPresent(ops::add);
            } else if (verdict == null && (t.startsWith(FAIL_PREFIX) || t.startsWith(OK_PREFIX))) {
                verdict = t;
            } else if (t.startsWith(KNOWN_WARN_PREFIX)) {
                known.add(t.substring(KNOWN_WARN_PREFIX.length()));
            } else if (t.startsWith(QEMU_ERR)) {
                l2Stderr.append(t.substring(QEMU_ERR.length())).append('\n');
            } else if (l2Start == null && (m = L2_START.matcher(t)).matches()) {
                l2Start = Duration.ofMillis(l.atMillis());
                l2Command = Arrays.asList(m.group(1).split(" "));
            } else if ((m = L2_EXIT.matcher(t)).matches()) {
                l2QemuExit = Integer.parseInt(m.group(1));
            }
        }
        Duration total = l0.timing().total();
        GuestResult l2 = GuestResult.parse(name, "nested-l1", l2Command, l2Lines, l2Stderr.toString(), l2QemuExit,
                false, total);
        GuestTestResults tests = GuestTestResults.parse(l2);

        List<String> problems = new ArrayList<>();
        for (String p : l0.kernelProblems(List.of(KNOWN_WARN))) {
            problems.add("L1: " + p);
        }
        for (String p : l2.kernelProblems(List.of())) {
            problems.add("L2: " + p);
        }
        // the known WARN, also when L1 never got to print its own note (e.g. killed)
        if (known.isEmpty()) {
            l0.dmesg().stream().filter(d -> d.contains("WARNING:") && KNOWN_WARN.matcher(d).find()).findFirst()
                    .ifPresent(d -> known.add("L1 kernel: " + d.replaceFirst("^\\[\\s*\\d+\\.\\d+\\]\\s*", "")));
        }

        NestedOutcome outcome;
        String reason;
        if (l0TimedOut) {
            outcome = NestedOutcome.TIMEOUT;
            reason = "the time ran out: L0 was killed after " + machine.timeout().toSeconds() + " s ("
                    + lastMilestone(l0, l2, tests) + ")";
        } else if (verdict != null && verdict.startsWith(FAIL_PREFIX)) {
            outcome = NestedOutcome.ofL1ExitStatus(l0.exitStatus());
            reason = verdict.substring(FAIL_PREFIX.length());
        } else if (verdict == null || l0.exitStatus() != 0 || !l0.completed()) {
            outcome = NestedOutcome.L1_FAILED;
            List<ConsoleLine> ls = l0.lines();
            reason = "L1 did not finish its run (" + (l0.exitStatus() < 0 ? "no JVFIO-EXIT line" : "L1 exit " + l0.exitStatus())
                    + ", L0 QEMU exit code " + l0.qemuExitCode() + "; last line: "
                    + (ls.isEmpty() ? "none" : ls.getLast().text()) + ")";
        } else if (tests.failed() > 0) {
            outcome = NestedOutcome.TEST_FAILED;
            reason = "a test failed in L2 (" + tests.failed() + " failed)";
        } else if (!problems.isEmpty()) {
            outcome = NestedOutcome.KERNEL_PROBLEM;
            reason = "kernel problem: " + problems.getFirst().lines().findFirst().orElse("");
        } else {
            outcome = NestedOutcome.OK;
            reason = "";
        }
        Duration l1Init = l0.firstLineAt(s -> s.startsWith("[init]")).orElse(null);
        Duration l2Init = l2.firstLineAt(s -> s.startsWith("[init]")).orElse(null);
        Duration l2End = l2.firstLineAt(s -> s.startsWith(GuestResult.EXIT_MARKER)).orElse(null);
        NestedTiming timing = new NestedTiming(l1Init, l2Start, l2Init, tests.firstTestAt(), l2End,
                l0.timing().toExitLine(), total);
        return new NestedResult(name, machine, outcome, reason, l0, l2, tests, trace, ops, known, problems, timing);
    }

    private static String lastMilestone(GuestResult l0, GuestResult l2, GuestTestResults tests) {
        if (tests.lastTestAt() != null) {
            return "L2 tests were running: " + tests.tests().size() + " reported";
        }
        if (!l2.lines().isEmpty()) {
            return "L2 was booting or starting its run; last L2 line: " + l2.lines().getLast().text();
        }
        if (l0.firstLineAt(s -> s.startsWith("[init]")).isPresent()) {
            return "L1 was running; L2 printed nothing";
        }
        return "L1 never reached /init";
    }

    /** Whether everything passed. */
    public boolean passed() {
        return outcome == NestedOutcome.OK;
    }

    /** L2's run script exit status (its /init's JVFIO-EXIT), -1 when L2 never reported one. */
    public int l2ExitStatus() {
        return l2.exitStatus();
    }

    /** L1's run status (l1-run.sh's exit status, see {@link NestedOutcome}), -1 when L1 did not finish. */
    public int l1ExitStatus() {
        return l0.exitStatus();
    }

    /** The operations QEMU in L1 performed on L1's container (without L2's RTAS calls). */
    public List<SpaprOp> containerOps() {
        return ops.stream().filter(SpaprOp::onL1Container).toList();
    }

    /** The first time {@code op} occurs. */
    public Optional<SpaprOp> first(String op) {
        return ops.stream().filter(o -> o.op().equals(op)).findFirst();
    }

    /**
     * The operations grouped by cause, one line each: QEMU's start-up, then every RTAS request of L2
     * (ddw-query/create/remove/reset) with the container operations it made QEMU in L1 issue (QEMU
     * traces the request after acting on it, so the operations before a request belong to it).
     */
    public List<String> opSequence() {
        List<String> out = new ArrayList<>();
        List<SpaprOp> pending = new ArrayList<>();
        boolean startup = true;
        for (SpaprOp o : ops) {
            if (o.onL1Container()) {
                pending.add(o);
                continue;
            }
            if (startup && !pending.isEmpty()) {
                out.add(line(pending.getFirst().atSeconds(), "QEMU start-up", pending));
                pending.clear();
            }
            startup = false;
            String request = o.op().substring(3);
            if (o.op().equals("L2:ddw-create")) {
                Matcher m = DDW_CREATE.matcher(o.args());
                if (m.find()) {
                    request += " " + NestedTiming.bytes(Long.parseUnsignedLong(m.group(2), 16)) + " of "
                            + NestedTiming.bytes(Long.parseUnsignedLong(m.group(1), 16)) + " TCEs";
                }
            }
            if (pending.isEmpty()) {
                out.add(String.format(java.util.Locale.ROOT, "%8.3f s  %-27s (%s)", o.atSeconds(), "L2 " + request, o.args()));
            } else {
                out.add(line(o.atSeconds(), "L2 " + request, pending));
            }
            pending.clear();
        }
        if (!pending.isEmpty()) {
            out.add(line(pending.getFirst().atSeconds(), startup ? "QEMU start-up" : "QEMU (no L2 request)", pending));
        }
        return out;
    }

    private static String line(double at, String cause, List<SpaprOp> done) {
        return String.format(java.util.Locale.ROOT, "%8.3f s  %-27s -> %s", at, cause,
                String.join("; ", done.stream().map(SpaprOp::brief).toList()));
    }

    /** {@code OK} or {@code FAILED (OUTCOME): reason}. */
    public String verdictLine() {
        return passed() ? "OK" : "FAILED (" + outcome + "): " + reason;
    }

    /** A human report: verdict, tests, the SPAPR sequence, warnings and timings. */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("nested run '").append(name).append("': ").append(verdictLine()).append('\n');
        long win = machine.dmaWindowSize();
        b.append("  L1 kernel ").append(machine.l1Kernel().id()).append(", L2 devices ").append(machine.l2Devices())
                .append(", L2 default window ").append(win < 0 ? "QEMU default (1G)" : NestedTiming.bytes(win))
                .append(", L2 PHB ").append(machine.l2PhbGlobals()).append('\n');
        b.append("  L2 ").append(tests.countsLine());
        if (!tests.complete() && !tests.tests().isEmpty()) {
            b.append(" (no summary: the L2 JVM did not finish)");
        }
        b.append('\n');
        for (GuestTestCase c : tests.tests()) {
            if (c.failed()) {
                b.append("    FAILED ").append(c.displayName()).append(": ").append(c.reason()).append('\n');
            }
        }
        b.append("  SPAPR operations QEMU issued in L1 (").append(containerOps().size())
                .append(" on L1's container), by what L2 asked:\n");
        List<String> seq = opSequence();
        if (seq.isEmpty()) {
            b.append("    (none traced)\n");
        }
        seq.forEach(l -> b.append("    ").append(l).append('\n'));
        for (String k : knownWarnings) {
            b.append("  known: ").append(k).append('\n');
        }
        for (String p : kernelProblems) {
            b.append("  kernel problem: ").append(p.lines().findFirst().orElse("")).append('\n');
        }
        b.append("  timing (host, since L0 start):\n").append(timing.report());
        return b.toString();
    }

    @Override
    public String toString() {
        return "NestedResult[" + name + ": " + verdictLine() + "; " + tests.countsLine() + "; " + timing + "]";
    }
}
