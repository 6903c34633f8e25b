package io.jvfio.toolkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.DdwInfo;
import io.jvfio.IommuType;
import io.jvfio.Sizes;
import io.jvfio.TceInfo;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the {@link WindowPlanner} decided, and why: the container type, what happens to the default
 * window, the TCE page size, window size and levels, and for each window its TCE count, table memory
 * and estimated teardown time. Every choice is a {@link Decision} with its reason, printed by
 * {@link #toText()} and {@link #toJson()}.
 *
 * <p>A plan is first made from GET_INFO alone; {@link DmaSession} then executes it and records where
 * the platform actually put the window ({@link #executed(long)}): only the platform knows that.
 *
 * @param requestedMemory the memory size asked for
 * @param memorySize that size rounded up to the TCE page size: what will be mapped
 * @param backingPageSize the page size backing the memory (4K/64K base pages, 2M/16M huge pages)
 * @param info the GET_INFO answer the plan was made from
 * @param containerType the IOMMU type to set
 * @param ddwUsable whether dynamic windows can be created on this platform
 * @param removeDefaultWindow REMOVE the default window (at {@code info.dma32WindowStart()}) first
 * @param createWindow CREATE a window ({@code false}: map into the default window)
 * @param pageShift log2 of the TCE page size of the window used
 * @param windowSize the size of the window used
 * @param levels TCE table levels for CREATE
 * @param maxLevels CREATE is retried with more levels up to this many (QEMU's rule); equals
 *     {@code levels} when the platform allows one level
 * @param windowStart where the window used starts, when known: the default window's start, or the
 *     start CREATE returned once executed
 * @param executed whether {@code windowStart} comes from a CREATE that really happened
 * @param windows the windows that will exist, with their costs
 * @param decisions every choice with its reason, in order
 * @param problem why the memory cannot be mapped, when it cannot
 * @param teardownNanosPerTce the cost parameter the estimates used
 */
public record Plan(
        long requestedMemory,
        long memorySize,
        long backingPageSize,
        TceInfo info,
        IommuType containerType,
        boolean ddwUsable,
        boolean removeDefaultWindow,
        boolean createWindow,
        int pageShift,
        long windowSize,
        int levels,
        int maxLevels,
        OptionalLong windowStart,
        boolean executed,
        List<WindowPlan> windows,
        List<Decision> decisions,
        Optional<String> problem,
        double teardownNanosPerTce) {

    public Plan {
        windows = List.copyOf(windows);
        decisions = List.copyOf(decisions);
    }

    /**
     * One choice of the plan.
     *
     * @param topic what was decided, e.g. {@code page size}
     * @param choice the outcome, e.g. {@code 2M (page_shift 21)}
     * @param reason why, in a sentence or two
     */
    public record Decision(String topic, String choice, String reason) {}

    /**
     * A window the plan uses, and what it costs.
     *
     * @param role {@code created window} or {@code default window}
     * @param start its bus address, empty while the platform has not chosen it yet
     * @param size bytes
     * @param pageShift log2 of its TCE page size
     * @param levels TCE table levels
     * @param tceCount {@code size >> pageShift}
     * @param tableBytes the TCE table's memory: 8 bytes per TCE (charged to locked memory on v2)
     * @param teardownNanos the estimated time REMOVE (or a group detach) takes to clear every TCE
     */
    public record WindowPlan(String role, OptionalLong start, long size, int pageShift, int levels, long tceCount,
            long tableBytes, long teardownNanos) {
        static WindowPlan of(String role, OptionalLong start, long size, int pageShift, int levels, double nsPerTce) {
            long tces = size >>> pageShift;
            return new WindowPlan(role, start, size, pageShift, levels, tces, tces * 8, Math.round(tces * nsPerTce));
        }

        public long pageSize() {
            return 1L << pageShift;
        }
    }

    /** True when the memory can be mapped as planned. */
    public boolean feasible() {
        return problem.isEmpty();
    }

    public long pageSize() {
        return 1L << pageShift;
    }

    /**
     * The locked memory ({@code locked_vm}) the plan needs at its peak, which an unprivileged process
     * must have under RLIMIT_MEMLOCK (CAP_IPC_LOCK needs none): on v1, ENABLE charges the whole default
     * window ({@code tce32_size}) and mapping nothing more; on v2, REGISTER charges the memory and each
     * TCE table its size ({@code table_size >> PAGE_SHIFT} pages, 4K kernel pages here). The default
     * window's table is charged when the first MAP or CREATE materialises it; a REMOVE before that
     * only drops the pending window and charges nothing. 0 for an infeasible plan.
     */
    public long lockedMemoryBytes() {
        if (!feasible()) {
            return 0;
        }
        if (containerType == IommuType.SPAPR_TCE_V1) {
            return info.dma32WindowSize() & -KERNEL_PAGE;
        }
        long def = info.dma32WindowSize() == 0 ? 0 : tableCharge(info.dma32WindowSize() >>> 12);
        long created = createWindow ? tableCharge(tceCount()) : 0;
        long mem = (memorySize + KERNEL_PAGE - 1) & -KERNEL_PAGE;
        return mem + (removeDefaultWindow ? 0 : def) + created;
    }

    private static final long KERNEL_PAGE = 4096;

    private static long tableCharge(long tces) {
        return (tces * 8) & -KERNEL_PAGE;
    }

    /** The TCE count of the window used. */
    public long tceCount() {
        return windowSize >>> pageShift;
    }

    /** The estimated teardown time of all windows, in nanoseconds. */
    public long teardownNanos() {
        return windows.stream().mapToLong(WindowPlan::teardownNanos).sum();
    }

    /** The decision about {@code topic}, if the plan has one. */
    public Optional<Decision> decision(String topic) {
        return decisions.stream().filter(d -> d.topic().equals(topic)).findFirst();
    }

    /**
     * The plan after its CREATE returned {@code start}: the created window's start is now known, and
     * a decision records whether it is where QEMU's defaults would put it.
     */
    public Plan executed(long start) {
        return executed(start, levels);
    }

    /** As {@link #executed(long)}, when CREATE succeeded only with {@code actualLevels} levels. */
    public Plan executed(long start, int actualLevels) {
        List<WindowPlan> ws = new ArrayList<>();
        for (WindowPlan w : windows) {
            ws.add(w.start().isEmpty()
                    ? new WindowPlan(w.role(), OptionalLong.of(start), w.size(), w.pageShift(), actualLevels,
                            w.tceCount(), w.tableBytes(), w.teardownNanos())
                    : w);
        }
        List<Decision> ds = new ArrayList<>(decisions);
        if (actualLevels != levels) {
            ds.add(new Decision("levels used", actualLevels + " (after retries)", "CREATE refused " + levels
                    + " level(s) and accepted " + actualLevels + ", as QEMU retries"));
        }
        if (createWindow) {
            String reason = start == 0
                    ? "CREATE returned 0: the platform placed the window at the bottom of the bus address space "
                            + "(QEMU does when no other window is active). IOVAs are 0 + offsets"
                    : String.format("CREATE returned 0x%x, not 0: this hypervisor places the window there "
                            + "(PowerVM and QEMU's second window use 0x0800000000000000). IOVAs are this start + "
                            + "offsets, so the device must generate %d-bit bus addresses (QEMU edu: dma_mask)",
                            start, 64 - Long.numberOfLeadingZeros(start + windowSize - 1));
            ds.add(new Decision("window placed", String.format("0x%x (returned by CREATE)", start), reason));
        }
        return new Plan(requestedMemory, memorySize, backingPageSize, info, containerType, ddwUsable, removeDefaultWindow,
                createWindow, pageShift, windowSize, actualLevels, maxLevels, OptionalLong.of(start), true, ws, ds,
                problem, teardownNanosPerTce);
    }

    /** This plan with one more decision at the end (what happened while executing it). */
    public Plan with(Decision note) {
        List<Decision> ds = new ArrayList<>(decisions);
        ds.add(note);
        return new Plan(requestedMemory, memorySize, backingPageSize, info, containerType, ddwUsable, removeDefaultWindow,
                createWindow, pageShift, windowSize, levels, maxLevels, windowStart, executed, windows, ds, problem,
                teardownNanosPerTce);
    }

    // ---- text ----------------------------------------------------------------------------------

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** {@code 29 µs}, {@code 118 ms}, {@code 2.4 s}. */
    static String duration(long nanos) {
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000) {
            return trim(nanos / 1e3) + " µs";
        }
        if (nanos < 1_000_000_000) {
            return trim(nanos / 1e6) + " ms";
        }
        return trim(nanos / 1e9) + " s";
    }

    private static String trim(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    /** {@code 4K|64K|2M|16M}. */
    static String pageSizes(long pgsizes) {
        StringBuilder b = new StringBuilder();
        for (int s = 0; s < 64; s++) {
            if ((pgsizes & (1L << s)) != 0) {
                if (!b.isEmpty()) {
                    b.append('|');
                }
                b.append(Sizes.human(1L << s));
            }
        }
        return b.isEmpty() ? "none" : b.toString();
    }

    static String describe(TceInfo info) {
        StringBuilder b = new StringBuilder();
        if (info.dma32WindowSize() == 0) {
            b.append("no default window");
        } else {
            b.append(String.format("default window [%s, %s) (%s)", hex(info.dma32WindowStart()),
                    hex(info.dma32WindowStart() + info.dma32WindowSize()), Sizes.human(info.dma32WindowSize())));
        }
        if (info.hasDdw() && info.ddw().isPresent()) {
            DdwInfo d = info.ddw().get();
            b.append(String.format("; DDW: page sizes %s, %s, %d level(s)", pageSizes(d.pgsizes()),
                    d.maxDynamicWindows() == -1 ? "max windows 4294967295 (the kernel's \"no DDW\")"
                            : "up to " + Integer.toUnsignedString(d.maxDynamicWindows()) + " window(s)", d.levels()));
        } else {
            b.append("; no DDW");
        }
        return b.toString();
    }

    /** A readable report: inputs, outcome, every decision with its reason, the windows and their costs. */
    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("plan: %s of memory backed by %s pages%n", Sizes.human(requestedMemory),
                Sizes.human(backingPageSize)));
        b.append("platform: ").append(describe(info)).append(System.lineSeparator());
        if (feasible()) {
            b.append("outcome: ").append(containerType);
            if (removeDefaultWindow) {
                b.append(", remove the default window");
            } else if (createWindow && windows.size() > 1) {
                b.append(", keep the default window");
            }
            b.append(createWindow
                    ? String.format(", create a %s window of %s TCE pages, %d level(s)", Sizes.human(windowSize),
                            Sizes.human(pageSize()), levels)
                    : String.format(", map into the default window (%s TCE pages)", Sizes.human(pageSize())));
            if (windowStart.isPresent()) {
                b.append(String.format(", window at %s", hex(windowStart.getAsLong())));
            }
            b.append(System.lineSeparator());
        } else {
            b.append("outcome: NOT FEASIBLE: ").append(problem.get()).append(System.lineSeparator());
        }
        b.append(System.lineSeparator()).append("decisions:").append(System.lineSeparator());
        int width = decisions.stream().mapToInt(d -> d.topic().length()).max().orElse(0);
        for (Decision d : decisions) {
            b.append(String.format("  %-" + width + "s  %s%n", d.topic(), d.choice()));
            b.append(String.format("  %-" + width + "s    %s%n", "", d.reason()));
        }
        if (!windows.isEmpty()) {
            b.append(System.lineSeparator()).append("windows:").append(System.lineSeparator());
            for (WindowPlan w : windows) {
                b.append(String.format("  %s: start %s, size %s, %s TCE pages, %d level(s): %d TCEs, table %s, "
                                + "teardown ~%s%n", w.role(),
                        w.start().isPresent() ? hex(w.start().getAsLong()) : "chosen by the platform",
                        Sizes.human(w.size()), Sizes.human(w.pageSize()), w.levels(), w.tceCount(),
                        bytes(w.tableBytes()), duration(w.teardownNanos())));
            }
        }
        if (feasible()) {
            long kib = (lockedMemoryBytes() + 1023) >>> 10;
            b.append(String.format("%nlocked memory: %s at the peak (%s): without CAP_IPC_LOCK, RLIMIT_MEMLOCK must "
                            + "allow it: ulimit -l %d, or LimitMEMLOCK=%dK in a systemd unit%n", bytes(lockedMemoryBytes()),
                    containerType == IommuType.SPAPR_TCE_V1 ? "v1 ENABLE charges the whole default window"
                            : "the registered memory and the TCE tables", kib, kib));
        }
        b.append(String.format("%nteardown estimate: %s per TCE (PlannerOptions.teardownNanosPerTce; 1.8 µs in the "
                        + "TCG guest, about 244 µs under nested KVM): REMOVE and group detach clear every TCE of a "
                        + "window, mapped or not%n", duration(Math.round(teardownNanosPerTce))));
        return b.toString();
    }

    private static String bytes(long n) {
        return n % 1024 == 0 && n > 0 ? Sizes.human(n) + "B" : n + " bytes";
    }

    // ---- JSON ----------------------------------------------------------------------------------

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The plan as a JSON tree. Keys are snake_case; every number is a JSON number (bus addresses
     * and bitmaps too: {@code 576460752303423488}); unknown values are null.
     */
    public ObjectNode toJsonNode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("feasible", feasible());
        if (problem.isPresent()) {
            o.put("problem", problem.get());
        } else {
            o.putNull("problem");
        }
        ObjectNode in = o.putObject("input");
        in.put("memory_size", requestedMemory);
        in.put("backing_page_size", backingPageSize);
        in.put("dma32_window_start", info.dma32WindowStart());
        in.put("dma32_window_size", info.dma32WindowSize());
        in.put("flags", Integer.toUnsignedLong(info.flags()));
        if (info.ddw().isPresent()) {
            DdwInfo d = info.ddw().get();
            ObjectNode dn = in.putObject("ddw");
            dn.put("pgsizes", d.pgsizes());
            dn.put("max_dynamic_windows_supported", Integer.toUnsignedLong(d.maxDynamicWindows()));
            dn.put("levels", d.levels());
        } else {
            in.putNull("ddw");
        }
        o.put("container_type", containerType.name());
        o.put("ddw_usable", ddwUsable);
        o.put("remove_default_window", removeDefaultWindow);
        o.put("create_window", createWindow);
        o.put("page_shift", pageShift);
        o.put("page_size", pageSize());
        o.put("memory_size", memorySize);
        o.put("window_size", windowSize);
        o.put("levels", levels);
        o.put("max_levels", maxLevels);
        if (windowStart.isPresent()) {
            o.put("window_start", windowStart.getAsLong());
        } else {
            o.putNull("window_start");
        }
        o.put("executed", executed);
        ArrayNode ws = o.putArray("windows");
        for (WindowPlan w : windows) {
            ObjectNode wn = ws.addObject();
            wn.put("role", w.role());
            if (w.start().isPresent()) {
                wn.put("start", w.start().getAsLong());
            } else {
                wn.putNull("start");
            }
            wn.put("size", w.size());
            wn.put("page_shift", w.pageShift());
            wn.put("levels", w.levels());
            wn.put("tce_count", w.tceCount());
            wn.put("table_bytes", w.tableBytes());
            wn.put("teardown_ns", w.teardownNanos());
        }
        o.put("locked_memory_bytes", lockedMemoryBytes());
        o.put("teardown_ns_per_tce", teardownNanosPerTce);
        o.put("teardown_ns", teardownNanos());
        ArrayNode ds = o.putArray("decisions");
        for (Decision d : decisions) {
            ObjectNode dn = ds.addObject();
            dn.put("topic", d.topic());
            dn.put("choice", d.choice());
            dn.put("reason", d.reason());
        }
        return o;
    }

    /** {@link #toJsonNode()}, pretty-printed. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode()) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return toText();
    }
}
