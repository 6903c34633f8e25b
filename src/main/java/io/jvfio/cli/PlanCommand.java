package io.jvfio.cli;

import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.scenario.ExitStatus;
import io.jvfio.scenario.Numbers;
import io.jvfio.toolkit.Plan;
import io.jvfio.toolkit.PlanReport;
import io.jvfio.toolkit.WindowPlanner;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvfio plan}: which windows a driver's memory needs on this platform, and why. */
@Command(name = "plan",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Plans DMA windows for a driver's memory, explaining every decision.",
            "%nFrom GET_INFO (asked of the platform, through a fresh container that is torn down again) and the "
                    + "memory to map: the container type, whether to remove the default window, the TCE page size, "
                    + "the window size and levels, and for each window its TCE count, table memory and estimated "
                    + "teardown cost (REMOVE clears every TCE), and the locked memory the plan needs at its peak "
                    + "(what RLIMIT_MEMLOCK must allow without CAP_IPC_LOCK; a warning when this process's limit is "
                    + "lower).%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:a feasible plan", "1:no feasible plan (the report says why)", "2:bad arguments",
            "3:/dev/vfio/vfio or the group could not be opened"})
public final class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BackendOptions backend = new BackendOptions();

    @Option(names = "--group", paramLabel = "N", description = "IOMMU group (default: 0).")
    int group = 0;

    @Option(names = "--memory", paramLabel = "SIZE", required = true,
            description = "Bytes of memory to map, e.g. 256M or 0x10000000.")
    String memory;

    @Option(names = "--page", paramLabel = "SIZE",
            description = "The memory's backing page size: 4K (anonymous) or 2M / 16M (hugetlb). Default: 4K.")
    String page = "4K";

    @Option(names = "--json", description = "The plan as JSON.")
    boolean json;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        long mem;
        long pg;
        try {
            mem = Numbers.parse(memory);
            pg = Numbers.parse(page);
        } catch (IllegalArgumentException e) {
            err.println("jvfio plan: " + e.getMessage() + " (sizes: 4096, 0x1000, 64K, 2M, 1G)");
            return ExitStatus.SYNTAX;
        }
        if (mem <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--memory must be at least one byte, not " + memory);
        }
        if (pg < 4096 || Long.bitCount(pg) != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--page must be a power of two of at "
                    + "least 4K (4K anonymous, 64K, 2M or 16M hugetlb), not " + page);
        }
        Backends.Choice choice = Backends.choose(backend, spec.commandLine(), err);
        try (Vfio vfio = Vfio.over(choice.get())) {
            PlanReport.Platform platform = PlanReport.probe(vfio, group);
            Plan plan = new WindowPlanner().plan(platform.info(), platform.infoFrom(), mem, pg);
            spec.commandLine().getOut().println(PlanReport.render(plan, json));
            spec.commandLine().getOut().flush();
            warnIfCostly(plan, err);
            warnIfOverLimit(plan, vfio.backend().lockedMemory(), err);
            return plan.feasible() ? ExitStatus.OK : ExitStatus.MISMATCH;
        } catch (io.jvfio.VfioUnavailableException | io.jvfio.VfioPermissionException e) {
            err.println(Backends.failure(spec, choice, e));
            return ExitStatus.UNAVAILABLE;
        } catch (VfioException e) {
            err.println(Backends.failure(spec, choice, e));
            return ExitStatus.MISMATCH;
        }
    }

    /**
     * A TCE table above this many bytes is worth a warning: it is locked memory, and REMOVE (or a
     * detach) clears every entry, so 2^25 TCEs take a minute at 1.8 us each in the TCG guest.
     */
    static final long COSTLY_TABLE_BYTES = 256L << 20;

    /** Warns on stderr when this process could not lock what the plan needs (no CAP_IPC_LOCK, a lower limit). */
    static void warnIfOverLimit(Plan plan, io.jvfio.backend.LockedMemory m, java.io.PrintWriter err) {
        long need = plan.lockedMemoryBytes();
        if (plan.feasible() && m.limited() && Long.compareUnsigned(m.limitBytes(), need) < 0) {
            err.printf("jvfio plan: warning: this process's RLIMIT_MEMLOCK is %sB, below the %sB the plan locks: "
                    + "raise it (ulimit -l %d, LimitMEMLOCK=%dK) or grant CAP_IPC_LOCK%n", Sizes.human(m.limitBytes()),
                    Sizes.human(need), (need + 1023) >>> 10, (need + 1023) >>> 10);
            err.flush();
        }
    }

    /** Warns on stderr about each window whose table or teardown is large enough to hurt. */
    private static void warnIfCostly(Plan plan, java.io.PrintWriter err) {
        for (Plan.WindowPlan w : plan.windows()) {
            if (w.tableBytes() > COSTLY_TABLE_BYTES) {
                err.printf("jvfio plan: warning: the %s has %d TCEs of %s: a %s TCE table (locked memory) and ~%d s "
                                + "to tear down; back the memory with huge pages (--page 2M or 16M) for larger TCEs%n",
                        w.role(), w.tceCount(), Sizes.human(w.pageSize()), Sizes.human(w.tableBytes()) + "B",
                        Math.round(w.teardownNanos() / 1e9));
            }
        }
        err.flush();
    }
}
