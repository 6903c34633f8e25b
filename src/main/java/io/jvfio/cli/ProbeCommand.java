package io.jvfio.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.backend.Errno;
import io.jvfio.backend.VfioBackend;
import io.jvfio.scenario.ScenarioStartException;
import io.jvfio.scenario.ExitStatus;
import io.jvfio.scenario.Numbers;
import io.jvfio.scenario.Op;
import io.jvfio.scenario.ResultFormat;
import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.StepResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jvfio probe}: what DMA windows really work, found by trying. Each CREATE runs in a fresh v2
 * container and its window is removed again, so every probe starts from the platform's default state.
 */
@Command(name = "probe",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Finds by trying which DMA windows the platform accepts.",
            "%nFor each page size in GET_INFO's pgsizes: the largest power-of-two window CREATE accepts (the"
                    + " largest allowed size first, then a binary search); the TCE table levels CREATE accepts;"
                    + " where CREATE places a window with the default window present and after removing it. Every"
                    + " CREATE runs in a fresh v2 container and its window is removed again: nothing is left"
                    + " behind.",
            "%nSafety: a probe window holds at most --max-tces TCEs (a TCG guest clears every TCE at REMOVE,"
                    + " ~1.8 us each), so larger windows are reported as 'at least'. The probe never asks for a"
                    + " window the hypervisor would refuse after the kernel's own checks: none smaller than its"
                    + " page; never two windows on a single-window PE (max_windows=1: the default window goes"
                    + " first); never a second dynamic window (a pSeries PE keeps one: the kernel fails with EEXIST"
                    + " after the hypervisor made it); no CREATE at all when GET_INFO shows no usable DDW. Each of"
                    + " those puts the PE on the kernel's failed-DDW list until reboot.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:probed (including 'no DDW here', which is a finding)",
            "1:probing stopped: a step outside the probe's CREATEs failed, or CREATE gave ENODEV",
            "2:bad command line",
            "3:/dev/vfio/vfio or the group could not be opened or attached",
            "4:emulator only: a call the real kernel oopses on (KERNEL-BUG)",
            "5:internal error in jvfio"})
public final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--group", required = true, paramLabel = "N", description = "The IOMMU group to probe.")
    int group;

    @Mixin
    BackendOptions backendOptions = new BackendOptions();

    @Option(names = "--max-tces", paramLabel = "N", defaultValue = "1048576",
            description = "Largest TCE count of a probe window, a power of two (default: ${DEFAULT-VALUE} = 2^20).")
    long maxTces;

    @Option(names = "--json", description = "One JSON document instead of text.")
    boolean json;

    /** A step failed in a way that ends the probe. */
    static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;
        final transient StepResult result;
        final int status;

        Stop(StepResult result, int status, String why) {
            super(why, null, false, false);
            this.result = result;
            this.status = status;
        }
    }

    private ScenarioRunner runner;
    private long dma32Start;
    private boolean removeDefault;
    private int creates;
    private final ArrayNode log = Json.MAPPER.createArrayNode();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (Long.bitCount(maxTces) != 1 || maxTces < 16) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-tces must be a power of two >= 16");
        }
        Backends.Choice choice = Backends.choose(backendOptions, spec.commandLine(), err);
        try (VfioBackend backend = choice.get()) {
            return probe(backend, out, err);
        }
    }

    /** Probes {@link #group} on {@code backend}; the exit status. */
    int probe(VfioBackend backend, PrintWriter out, PrintWriter err) {
        ObjectNode root = Json.object();
        List<String> text = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            runner = new ScenarioRunner(backend);
            root.put("backend", backend.description());
            root.put("group", group);
            text.add("probe: group " + group + ", backend " + backend.description());

            // 1. What GET_INFO says, as a v2 container.
            StepResult info;
            try (ScenarioRunner.Session s = runner.open()) {
                StepResult failed = Steps.runAll(s, Steps.attach(group, "v2"));
                if (failed != null && failed.op() != Op.SET_IOMMU) {
                    err.println("jvfio probe: cannot attach group " + group + ": " + Steps.describe(failed)
                            + "; " + Backends.groupAdvice(backend, group));
                    return failed.status() == StepResult.Status.KERNEL_BUG ? ExitStatus.KERNEL_BUG : ExitStatus.UNAVAILABLE;
                }
                if (failed != null) {
                    root.put("v2", failed.result());
                    text.add("v2 (SPAPR_TCE_v2) container: " + Steps.describe(failed) + ": no dynamic windows to probe");
                    return print(out, root, text, ExitStatus.OK);
                }
                info = Steps.run(s, "tce-info");
                Steps.run(s, "unset-container");
            }
            ObjectNode ij = root.putObject("tce_info");
            ResultFormat.putOut(ij, info.out());
            text.add("GET_INFO (v2): " + info.resultText());
            Map<String, Long> o = info.out();
            long maxWindows = o.getOrDefault("max_windows", 0L);
            long levels = o.getOrDefault("levels", 0L);
            long pgsizes = o.getOrDefault("pgsizes", 0L);
            if (info.status() != StepResult.Status.OK || (o.get("flags") & 1) == 0 || maxWindows < 1 || maxWindows > 2
                    || levels < 1 || pgsizes == 0) {
                String why = "DDW not usable here (flags, max_windows, levels or pgsizes): not probing, since a CREATE"
                        + " refused by the hypervisor leaves the PE on the kernel's failed-DDW list until reboot";
                root.put("skipped", why);
                text.add(why);
                return print(out, root, text, ExitStatus.OK);
            }
            dma32Start = o.get("dma32_start");
            removeDefault = maxWindows == 1;
            if (removeDefault) {
                text.add("max_windows=1: a single-window PE; every probe removes the default window first");
            }
            List<Integer> shifts = new ArrayList<>();
            for (int b = 0; b < 64; b++) {
                if ((pgsizes & (1L << b)) != 0) {
                    shifts.add(b);
                }
            }
            int capLog = Long.numberOfTrailingZeros(maxTces);

            // 2. The largest window per page size.
            text.add("largest window CREATE accepts, per page size (powers of two, at most " + maxTces + " TCEs per probe):");
            ArrayNode lj = root.putArray("largest");
            for (int p : shifts) {
                largest(p, capLog, lj.addObject(), text);
            }

            // 3. Levels.
            int p0 = shifts.getFirst();
            long small = 1L << (p0 + 4);
            ObjectNode lev = root.putObject("levels");
            ArrayNode accepted = lev.putArray("accepted");
            StringBuilder lt = new StringBuilder("levels CREATE accepts (" + Numbers.size(1L << p0) + " pages, " + Numbers.size(small) + " window):");
            for (int l = 1; l <= 8; l++) {
                StepResult r = create(p0, small, l);
                if (r.status() == StepResult.Status.OK) {
                    accepted.add(l);
                    lt.append(' ').append(l);
                } else {
                    lev.put("first_rejected", l);
                    lev.put("rejected_with", r.result());
                    lt.append(" (").append(l).append(" -> ").append(r.result()).append(')');
                    break;
                }
            }
            text.add(lt.toString());

            // 4. Placement.
            ObjectNode pl = root.putObject("placement");
            text.add("window placement (" + Numbers.size(1L << p0) + " pages, " + Numbers.size(small) + " window):");
            if (!removeDefault) {
                StepResult r = create(p0, small, 1);
                placement(pl, "with_default", r);
                text.add("  with the default window present: " + r.resultText());
            } else {
                text.add("  with the default window present: not tried (a single-window PE)");
            }
            placementAfterRemoval(p0, small, pl, text);
        } catch (ScenarioStartException e) {
            err.println(Backends.unavailable(spec, backend.emulated(), e.getMessage()));
            return ExitStatus.UNAVAILABLE;
        } catch (Stop s) {
            root.put("stopped", s.getMessage());
            text.add("STOPPED: " + s.getMessage());
            print(out, root, text, s.status);
            err.println("jvfio probe: stopped: " + s.getMessage());
            return s.status;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        root.put("creates", creates);
        root.put("seconds", Math.round(secs * 1000) / 1000.0);
        root.set("log", log);
        text.add(String.format("%d CREATEs, each in a fresh container, every window removed again; %.1f s", creates, secs));
        return print(out, root, text, ExitStatus.OK);
    }

    private int print(PrintWriter out, ObjectNode root, List<String> text, int status) {
        if (json) {
            out.println(Json.pretty(root));
        } else {
            text.forEach(out::println);
        }
        return status;
    }

    /** Where CREATE put the window (a JSON number), or the errno's name when it failed. */
    private static void placement(ObjectNode pl, String key, StepResult r) {
        if (r.status() == StepResult.Status.OK) {
            pl.set(key, ResultFormat.unsigned(r.out().get("start")));
        } else {
            pl.put(key, r.result());
        }
    }

    /** The largest accepted power-of-two window for page shift {@code p}: the largest allowed first. */
    private void largest(int p, int capLog, ObjectNode j, List<String> text) throws ScenarioStartException, Stop {
        int top = Math.min(p + capLog, 62);
        j.put("page_shift", p);
        j.put("page_size", 1L << p);
        StepResult r = create(p, 1L << top, 1);
        String label = "  " + Numbers.size(1L << p) + " pages: ";
        if (r.status() == StepResult.Status.OK) {
            j.put("largest", 1L << top);
            j.put("at_least", true);
            text.add(label + "at least " + Numbers.size(1L << top) + " (the cap: " + (1L << (top - p)) + " TCEs)");
            return;
        }
        int lo = p - 1;
        int hi = top;
        StepResult firstBad = r;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            StepResult m = create(p, 1L << mid, 1);
            if (m.status() == StepResult.Status.OK) {
                lo = mid;
            } else {
                hi = mid;
                firstBad = m;
            }
        }
        j.put("at_least", false);
        j.put("rejected", 1L << hi);
        j.put("rejected_with", firstBad.result());
        if (lo < p) {
            j.putNull("largest");
            text.add(label + "none (" + Numbers.size(1L << hi) + " -> " + firstBad.result() + ")");
        } else {
            j.put("largest", 1L << lo);
            text.add(label + Numbers.size(1L << lo) + " (" + Numbers.size(1L << hi) + " -> " + firstBad.result() + ")");
        }
    }

    /**
     * Where a window lands once the default window is gone. Only one: a pSeries PE holds one dynamic
     * window, and a second CREATE would fail after the hypervisor made it (EEXIST), putting the PE on
     * the failed-DDW list until reboot.
     */
    private void placementAfterRemoval(int p, long size, ObjectNode pl, List<String> text)
            throws ScenarioStartException, Stop {
        try (ScenarioRunner.Session s = runner.open()) {
            attach(s);
            need(s, "remove " + Numbers.hex(dma32Start));
            StepResult a = logged(s, "create " + p + " " + Numbers.size(size) + " 1");
            placement(pl, "default_removed", a);
            text.add("  after removing the default window: " + a.resultText());
            if (a.status() == StepResult.Status.OK) {
                need(s, "remove " + Numbers.hex(a.out().get("start")));
            }
            Steps.run(s, "unset-container");
        }
    }

    /** One CREATE in a fresh v2 container; the window, if any, is removed again. */
    private StepResult create(int pageShift, long size, int levels) throws ScenarioStartException, Stop {
        try (ScenarioRunner.Session s = runner.open()) {
            attach(s);
            if (removeDefault) {
                need(s, "remove " + Numbers.hex(dma32Start));
            }
            StepResult c = logged(s, "create " + pageShift + " " + Numbers.size(size) + " " + levels);
            if (c.status() == StepResult.Status.OK) {
                need(s, "remove " + Numbers.hex(c.out().get("start")));
            }
            Steps.run(s, "unset-container");
            return c;
        }
    }

    private void attach(ScenarioRunner.Session s) throws Stop {
        StepResult failed = Steps.runAll(s, Steps.attach(group, "v2"));
        if (failed != null) {
            throw new Stop(failed, failed.status() == StepResult.Status.KERNEL_BUG ? ExitStatus.KERNEL_BUG : ExitStatus.MISMATCH,
                    "attaching the group again failed: " + Steps.describe(failed));
        }
    }

    private void need(ScenarioRunner.Session s, String line) throws Stop {
        StepResult r = Steps.run(s, line);
        if (r.status() != StepResult.Status.OK) {
            throw new Stop(r, r.status() == StepResult.Status.KERNEL_BUG ? ExitStatus.KERNEL_BUG : ExitStatus.MISMATCH,
                    Steps.describe(r));
        }
    }

    /** A probe CREATE: logged; ENODEV or a kernel bug stops the probe. */
    private StepResult logged(ScenarioRunner.Session s, String line) throws Stop {
        creates++;
        StepResult r = Steps.run(s, line);
        ObjectNode e = log.addObject();
        e.put("step", line);
        e.put("result", r.resultText());
        if (r.status() == StepResult.Status.KERNEL_BUG) {
            throw new Stop(r, ExitStatus.KERNEL_BUG, Steps.describe(r));
        }
        if (r.status() == StepResult.Status.ERRNO && r.errno() == Errno.ENODEV) {
            throw new Stop(r, ExitStatus.MISMATCH, Steps.describe(r) + ": the kernel may now refuse every DDW on this PE"
                    + " until reboot (failed-DDW list)");
        }
        return r;
    }
}
