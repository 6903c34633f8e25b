package io.jvfio.toolkit;

import io.jvfio.DdwInfo;
import io.jvfio.IommuType;
import io.jvfio.Sizes;
import io.jvfio.TceInfo;
import io.jvfio.toolkit.Plan.Decision;
import io.jvfio.toolkit.Plan.WindowPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Chooses how to set up a container for a given amount of DMA memory, from GET_INFO alone, so that
 * a driver author does not need to know TCE levels, the single-window rule of SR-IOV VFs, or where a
 * hypervisor puts the 64-bit window. Pure: no ioctl is issued; {@link DmaSession} executes the plan.
 *
 * <p>The rules, each recorded in the {@link Plan} with its reason:
 * <ol>
 *   <li><b>Container type.</b> SPAPR v2 when the platform accepts it (its GET_INFO reports DDW): memory
 *       is pre-registered once and windows are created to fit. SPAPR v1 otherwise: only the default
 *       window, enabled with {@code VFIO_IOMMU_ENABLE}.</li>
 *   <li><b>Dynamic windows usable?</b> The DDW flag with a non-zero window count, at least one level and
 *       some page size. The pSeries kernel reports {@code max_dynamic_windows_supported = 0xFFFFFFFF}
 *       (levels 0) when the hypervisor has no DDW at all: a CREATE would fail and mark the PE failed
 *       until reboot, so that counts as "no DDW".</li>
 *   <li><b>Default window.</b> With DDW it is removed before CREATE, as QEMU and DPDK do: on a fresh v2
 *       container it is still pending, so REMOVE(start) costs nothing, while keeping it would
 *       materialise a window of 4K TCEs the plan does not use (and pay its teardown). On platforms with
 *       a single window (SR-IOV VFs, {@code max_dynamic_windows_supported = 1}) removing it is
 *       mandatory. Without DDW the memory goes into the default window, if it fits.</li>
 *   <li><b>Page size.</b> The largest TCE page that the memory's backing page size allows (a TCE page
 *       cannot be larger than the page behind it) and {@code pgsizes} offers.</li>
 *   <li><b>Window size.</b> The smallest power of two that holds the memory (rounded up to the TCE page)
 *       and at least one page: teardown clears every TCE, so no larger than needed.</li>
 *   <li><b>Levels.</b> 1 when the platform allows 1 (pSeries). Otherwise QEMU's rule
 *       (hw/vfio/spapr.c): {@code ceil(log2(TCEs * 8) / (log2(system page) + 8))}, CREATE retried with
 *       one more level up to {@code min(ddw.levels, (64 - page_shift) / log2(system page))}.</li>
 *   <li><b>Window start.</b> Chosen by the platform: QEMU returns 0 when no other window is active, PowerVM
 *       and QEMU's second window 0x0800000000000000. The session uses whatever CREATE returns.</li>
 * </ol>
 */
public final class WindowPlanner {
    /** The default window's TCE page: always 4 KiB. */
    public static final int DEFAULT_WINDOW_PAGE_SHIFT = 12;

    private final PlannerOptions options;

    public WindowPlanner() {
        this(PlannerOptions.defaults());
    }

    public WindowPlanner(PlannerOptions options) {
        this.options = options;
    }

    public PlannerOptions options() {
        return options;
    }

    /**
     * Plans from a GET_INFO answer whose container type is inferred: the DDW flag means a v2 container
     * (Linux sets it on every v2 container, whose attach needs dynamic windows); no flag means v1.
     */
    public Plan plan(TceInfo info, long memorySize, long backingPageSize) {
        return plan(info, null, memorySize, backingPageSize);
    }

    /**
     * Plans {@code memorySize} bytes of memory backed by {@code backingPageSize} pages.
     *
     * @param info GET_INFO
     * @param infoFrom the type of the container GET_INFO was asked on: {@code SPAPR_TCE_V2} when the
     *     platform accepted v2, {@code SPAPR_TCE_V1} when it refused it; null to infer from the DDW flag
     * @throws IllegalArgumentException for a non-positive size, or a backing page size that is not a
     *     power of two of at least 4 KiB
     */
    public Plan plan(TceInfo info, IommuType infoFrom, long memorySize, long backingPageSize) {
        if (memorySize <= 0) {
            throw new IllegalArgumentException("memory size must be positive: " + memorySize);
        }
        if (backingPageSize < 4096 || Long.bitCount(backingPageSize) != 1) {
            throw new IllegalArgumentException("backing page size must be a power of two >= 4K: " + backingPageSize);
        }
        if (infoFrom != null && !infoFrom.isSpapr()) {
            throw new IllegalArgumentException("not a SPAPR container type: " + infoFrom);
        }
        List<Decision> ds = new ArrayList<>();
        int backingShift = Long.numberOfTrailingZeros(backingPageSize);
        String ddwProblem = ddwProblem(info, backingShift);
        boolean v2;
        if (infoFrom != null) {
            v2 = infoFrom == IommuType.SPAPR_TCE_V2;
            ds.add(new Decision("container type", infoFrom.name(), v2
                    ? "the platform accepted SPAPR v2: memory is pre-registered once (REGISTER_MEMORY) and windows "
                            + "can be created to fit it"
                    : "the platform refused SPAPR v2 (SET_IOMMU fails when it offers no dynamic windows): v1 has only "
                            + "the default window, enabled with VFIO_IOMMU_ENABLE, and pins pages at every MAP"));
        } else {
            v2 = info.hasDdw();
            ds.add(new Decision("container type", v2 ? "SPAPR_TCE_V2" : "SPAPR_TCE_V1", v2
                    ? "GET_INFO reports dynamic windows (DDW), which only a v2 container does: memory is "
                            + "pre-registered once and windows can be created to fit it"
                    : "GET_INFO reports no DDW: Linux sets the flag on every v2 container, so this platform (or "
                            + "container) is v1: the default window only, enabled with VFIO_IOMMU_ENABLE"));
        }
        IommuType type = v2 ? IommuType.SPAPR_TCE_V2 : IommuType.SPAPR_TCE_V1;
        boolean ddwUsable = v2 && ddwProblem == null;
        if (v2) {
            ds.add(new Decision("dynamic windows", ddwUsable ? "usable" : "not usable", ddwUsable
                    ? describeDdw(info.ddw().get())
                    : ddwProblem));
        }
        if (v2 && pseriesWithoutDdw(info)) {
            ds.add(new Decision("default window", "unusable", PSERIES_NO_DDW));
            return infeasible(info, type, memorySize, backingPageSize, ds, false, false, DEFAULT_WINDOW_PAGE_SHIFT,
                    "no DMA window can be set up on this platform: it has no dynamic windows, and Linux 6.12 pSeries "
                            + "cannot give VFIO the default window without them (see the default window decision). "
                            + "Enable DDW on the PHB (QEMU: spapr-pci-host-bridge ddw=on, the default)");
        }
        return ddwUsable
                ? planDdw(info, type, memorySize, backingPageSize, backingShift, ds)
                : planDefault(info, type, memorySize, backingPageSize, ds);
    }

    private static String describeDdw(DdwInfo d) {
        return String.format("page sizes %s, up to %s window(s) at once, %d level(s)", Plan.pageSizes(d.pgsizes()),
                Integer.toUnsignedString(d.maxDynamicWindows()), d.levels());
    }

    static final String PSERIES_NO_DDW = "the pSeries kernel (6.12) cannot hand VFIO the default window on a PE "
            + "without DDW: at attach it cannot remove the firmware's default window (removal needs the DDW RTAS "
            + "calls), so re-creating the window for VFIO (lazily, at the first MAP_DMA, or by CREATE) takes the DDW "
            + "path, which fails with EINVAL (\"ibm,ddw-applicable not found\") and puts the PE on the failed-DDW list "
            + "until reboot. The session refuses before issuing any MAP or CREATE";

    /**
     * The pSeries kernel's signature of a PE without DDW: the DDW flag with
     * {@code max_dynamic_windows_supported = 0xFFFFFFFF} (its -1 for "query failed") and no levels.
     */
    static boolean pseriesWithoutDdw(TceInfo info) {
        return info.hasDdw() && info.ddw().isPresent() && info.ddw().get().maxDynamicWindows() == -1;
    }

    /** Why dynamic windows cannot be used, or null when they can. */
    static String ddwProblem(TceInfo info, int backingShift) {
        if (!info.hasDdw() || info.ddw().isEmpty()) {
            return "GET_INFO has no DDW flag: the platform offers no dynamic windows";
        }
        DdwInfo d = info.ddw().get();
        if (d.maxDynamicWindows() == -1) {
            return "max_dynamic_windows_supported is 4294967295 (the kernel's (u32) -1): the pSeries kernel reports that when the hypervisor "
                    + "has no DDW (ibm,ddw-applicable missing, or the query failed); a CREATE would fail (EINVAL or "
                    + "ENODEV) and put the PE on the failed-DDW list until reboot";
        }
        if (d.maxDynamicWindows() == 0) {
            return "max_dynamic_windows_supported is 0: no window can be created";
        }
        if (d.levels() <= 0) {
            return "ddw.levels is 0: no TCE table can be created";
        }
        if (d.largestPageShiftAtMost(backingShift) < 0) {
            return "ddw.pgsizes (" + Plan.pageSizes(d.pgsizes()) + ") has no page size the memory's "
                    + Sizes.human(1L << backingShift) + " backing pages allow";
        }
        return null;
    }

    private Plan planDdw(TceInfo info, IommuType type, long memorySize, long backingPageSize, int backingShift,
            List<Decision> ds) {
        DdwInfo d = info.ddw().get();
        boolean single = d.maxDynamicWindows() == 1;
        boolean hasDefault = info.dma32WindowSize() != 0;
        String defaultDesc = String.format("[%s, %s)", Plan.hex(info.dma32WindowStart()),
                Plan.hex(info.dma32WindowStart() + info.dma32WindowSize()));
        long defTces = info.dma32WindowSize() >>> DEFAULT_WINDOW_PAGE_SHIFT;
        String defCost = String.format("%s of 4K TCEs (%d TCEs, %s table, ~%s to tear down)",
                Sizes.human(info.dma32WindowSize()), defTces, Sizes.human(defTces * 8) + "B",
                Plan.duration(Math.round(defTces * options.teardownNanosPerTce())));
        boolean keep = false;
        if (!hasDefault) {
            ds.add(new Decision("default window", "none", "GET_INFO reports no default window: nothing to remove"));
        } else if (single) {
            ds.add(new Decision("default window", "remove " + defaultDesc + " first",
                    "the platform allows a single window (max_dynamic_windows_supported = 1, an SR-IOV VF): the DDW "
                            + "must replace the default window; a CREATE next to it would fail with ENODEV and leave "
                            + "the PE refusing DDW until reboot" + (options.keepDefaultWindow()
                                    ? ". keepDefaultWindow cannot be honoured here; a DDW placed at 0 still gives "
                                            + "32-bit addresses to its first 4G" : "")));
        } else if (options.keepDefaultWindow()) {
            keep = true;
            ds.add(new Decision("default window", "keep " + defaultDesc, "keepDefaultWindow: the driver also needs "
                    + "bus addresses below 4G. The CREATE materialises it: " + defCost));
        } else {
            ds.add(new Decision("default window", "remove " + defaultDesc + " first",
                    "on a fresh v2 container the default window is still pending, so REMOVE costs nothing; keeping it "
                            + "would materialise " + defCost + " that this plan does not use. QEMU and DPDK remove it "
                            + "too (PlannerOptions.keepDefaultWindow keeps it for 32-bit DMA)"));
        }
        int shift = d.largestPageShiftAtMost(backingShift);
        long page = 1L << shift;
        ds.add(new Decision("page size", Sizes.human(page) + " (page_shift " + shift + ")",
                String.format("the largest TCE page that both the memory's %s backing pages allow (a TCE cannot map "
                        + "more than the page behind it) and the platform offers (%s)", Sizes.human(backingPageSize),
                        Plan.pageSizes(d.pgsizes()))));
        long mem = roundUp(memorySize, page);
        if (mem < 0 || mem > (1L << 62)) {
            return infeasible(info, type, memorySize, backingPageSize, ds, true, hasDefault, shift,
                    "the memory size " + memorySize + " is beyond any window");
        }
        if (mem != memorySize) {
            ds.add(new Decision("memory size", Sizes.human(mem), "the requested " + Sizes.human(memorySize)
                    + " rounded up to whole TCE pages of " + Sizes.human(page)));
        }
        long window = Math.max(ceilPow2(mem), page);
        ds.add(new Decision("window size", Sizes.human(window) + " (" + (window >>> shift) + " TCEs)",
                "the smallest power of two that holds " + Sizes.human(mem) + (window > mem
                        ? " (CREATE needs a power of two)" : "")
                        + ": REMOVE clears every TCE of a window, so no larger than needed. If CREATE fails with "
                        + "EINVAL the platform's largest free block is smaller: use larger (huge) pages"));
        int levels;
        int maxLevels;
        if (d.levels() <= 1) {
            levels = 1;
            maxLevels = 1;
            ds.add(new Decision("levels", "1", "the platform allows 1 level (pSeries: single-level TCE tables "
                    + "only; CREATE with more is EINVAL)"));
        } else {
            int[] l = qemuLevels(window >>> shift, shift, options.systemPageSize());
            levels = Math.min(l[0], d.levels());
            maxLevels = Math.max(levels, Math.min(l[1], d.levels()));
            ds.add(new Decision("levels", levels + (maxLevels > levels ? " (retry up to " + maxLevels + ")" : ""),
                    String.format("computed like QEMU: %d TCEs need a %s table, %s system pages index %d bits per "
                                    + "level, so %d level(s); the platform allows up to %d", window >>> shift,
                            Sizes.human(8 * (window >>> shift)), Sizes.human(options.systemPageSize()),
                            Long.numberOfTrailingZeros(options.systemPageSize()) + 8, l[0], d.levels())));
        }
        boolean defaultShaped = !keep && hasDefault && shift == DEFAULT_WINDOW_PAGE_SHIFT
                && Long.compareUnsigned(window, info.dma32WindowSize()) <= 0;
        ds.add(new Decision("window start", "chosen by the platform", defaultShaped
                ? String.format("4K TCEs and a window no larger than the default one: once the default window is "
                        + "removed, pSeries re-establishes it (limited to this size) instead of creating a DDW, so it "
                        + "should start at the default window's 0x%x. The session uses the start CREATE returns, never "
                        + "an assumed one", info.dma32WindowStart())
                : keep
                ? "a second window: QEMU places it at its dma64_win_addr (0x0800000000000000 by default), PowerNV at "
                        + "1<<59. The session uses the start CREATE returns, never an assumed one"
                : hasDefault
                ? "removing the default window drops only its device-tree property on pSeries (QEMU's is shorter "
                        + "than a DDW's), so QEMU keeps it live and places this DDW at its dma64_win_addr "
                        + "(0x0800000000000000 by default), as PowerVM does. The session uses the start CREATE "
                        + "returns, never an assumed one"
                : "QEMU places a lone window at its dma_win_addr (0 by default); other hypervisors may use "
                        + "0x0800000000000000. The session uses the start CREATE returns, never an assumed one"));
        WindowPlan created = WindowPlan.of("created window", OptionalLong.empty(), window, shift, levels,
                options.teardownNanosPerTce());
        List<WindowPlan> ws = keep
                ? List.of(WindowPlan.of("default window", OptionalLong.of(info.dma32WindowStart()),
                        info.dma32WindowSize(), DEFAULT_WINDOW_PAGE_SHIFT, 1, options.teardownNanosPerTce()), created)
                : List.of(created);
        long total = ws.stream().mapToLong(WindowPlan::teardownNanos).sum();
        ds.add(new Decision("teardown", "~" + Plan.duration(total),
                String.format("REMOVE clears all %d TCEs of the created window at ~%s each%s", created.tceCount(),
                        Plan.duration(Math.round(options.teardownNanosPerTce())), keep
                                ? String.format("; the kept default window adds %d TCEs", defTces)
                                : hasDefault ? "; the removed default window was never materialised, so it costs nothing"
                                        : "")));
        return new Plan(memorySize, mem, backingPageSize, info, type, true, hasDefault && !keep, true, shift, window,
                levels, maxLevels, OptionalLong.empty(), false, ws, ds, Optional.empty(), options.teardownNanosPerTce());
    }

    private Plan planDefault(TceInfo info, IommuType type, long memorySize, long backingPageSize, List<Decision> ds) {
        int shift = DEFAULT_WINDOW_PAGE_SHIFT;
        long page = 1L << shift;
        if (info.dma32WindowSize() == 0) {
            return infeasible(info, type, memorySize, backingPageSize, ds, false, false, shift,
                    "the platform has neither a default window nor dynamic windows: there is nowhere to map memory");
        }
        String defaultDesc = String.format("[%s, %s)", Plan.hex(info.dma32WindowStart()),
                Plan.hex(info.dma32WindowStart() + info.dma32WindowSize()));
        long mem = roundUp(memorySize, page);
        if (mem < 0 || Long.compareUnsigned(mem, info.dma32WindowSize()) > 0) {
            return infeasible(info, type, memorySize, backingPageSize, ds, false, false, shift, String.format(
                    "%s of memory does not fit the %s default window %s and the platform has no dynamic windows: "
                            + "map at most %s at a time (unmap and reuse IOVAs), or use a platform with DDW",
                    Sizes.human(memorySize), Sizes.human(info.dma32WindowSize()), defaultDesc,
                    Sizes.human(info.dma32WindowSize())));
        }
        ds.add(new Decision("default window", "use " + defaultDesc, String.format(
                "no usable dynamic windows, and %s fits the %s default window", Sizes.human(mem),
                Sizes.human(info.dma32WindowSize()))));
        ds.add(new Decision("page size", "4K (page_shift 12)", "the default window always has 4K TCEs"
                + (backingPageSize > page ? "; the memory's larger " + Sizes.human(backingPageSize)
                        + " pages are mapped as 4K TCEs" : "")));
        if (mem != memorySize) {
            ds.add(new Decision("memory size", Sizes.human(mem), "the requested " + Sizes.human(memorySize)
                    + " rounded up to whole 4K TCE pages"));
        }
        ds.add(new Decision("window size", Sizes.human(info.dma32WindowSize()),
                "fixed by the platform: the default window cannot be resized"));
        ds.add(new Decision("levels", "1", "the default window is a single-level table"));
        ds.add(new Decision("window start", Plan.hex(info.dma32WindowStart()),
                "the default window's start from GET_INFO (dma32_window_start)"));
        List<WindowPlan> ws = List.of(WindowPlan.of("default window", OptionalLong.of(info.dma32WindowStart()),
                info.dma32WindowSize(), shift, 1, options.teardownNanosPerTce()));
        ds.add(new Decision("teardown", "~" + Plan.duration(ws.getFirst().teardownNanos()), String.format(
                "the group detach clears all %d TCEs of the default window at ~%s each, however little is mapped",
                ws.getFirst().tceCount(), Plan.duration(Math.round(options.teardownNanosPerTce())))));
        return new Plan(memorySize, mem, backingPageSize, info, type, false, false, false, shift,
                info.dma32WindowSize(), 1, 1, OptionalLong.of(info.dma32WindowStart()), false, ws, ds, Optional.empty(),
                options.teardownNanosPerTce());
    }

    private Plan infeasible(TceInfo info, IommuType type, long memorySize, long backingPageSize, List<Decision> ds,
            boolean ddw, boolean remove, int shift, String problem) {
        ds.add(new Decision("result", "not feasible", problem));
        return new Plan(memorySize, memorySize, backingPageSize, info, type, ddw, remove, ddw, shift, 0, 1, 1,
                OptionalLong.empty(), false, List.of(), ds, Optional.of(problem), options.teardownNanosPerTce());
    }

    /**
     * QEMU's level computation (hw/vfio/spapr.c, {@code vfio_spapr_create_window}): returns
     * {@code {levels, maxLevels}} for a table of {@code tces} entries of {@code 2^pageShift}-byte pages.
     */
    public static int[] qemuLevels(long tces, int pageShift, long systemPageSize) {
        int bitsTotal = Long.numberOfTrailingZeros(ceilPow2(tces * 8));
        int pageBits = Long.numberOfTrailingZeros(systemPageSize);
        int bitsPerLevel = pageBits + 8;
        int levels = bitsTotal / bitsPerLevel + (bitsTotal % bitsPerLevel != 0 ? 1 : 0);
        levels = Math.max(levels, 1);
        int max = Math.max(levels, (64 - pageShift) / pageBits);
        return new int[] {levels, max};
    }

    static long roundUp(long v, long page) {
        return (v + page - 1) & -page;
    }

    /** The smallest power of two >= v (v > 0, v <= 2^62). */
    static long ceilPow2(long v) {
        return v <= 1 ? 1 : Long.highestOneBit(v - 1) << 1;
    }
}
