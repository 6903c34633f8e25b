package io.jvfio.toolkit;

import io.jvfio.Container;
import io.jvfio.DmaWindow;
import io.jvfio.IommuType;
import io.jvfio.Sizes;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.VfioIoctlException;
import io.jvfio.backend.Errno;
import io.jvfio.toolkit.Plan.Decision;

/**
 * How a {@link DmaSession} sets up its container: the SPAPR type, the {@link WindowPlanner}'s plan,
 * and the plan executed (ENABLE for v1; for v2 REMOVE of the default window and CREATE of the planned
 * one, retried with more levels). The decisions taken on the way are added to the plan.
 */
final class PlanExecution {
    private PlanExecution() {}

    /**
     * What was done: the plan as executed, the window to map into, the default window when the plan
     * kept it next to a created one, and what the session must undo (REMOVE, DISABLE).
     */
    record Result(Plan plan, DmaWindow window, DmaWindow kept, boolean created, boolean enabledV1) {}

    /**
     * Sets the container's SPAPR type (v2, v1 when the platform refuses v2) unless set, plans for
     * {@code options.budget()} bytes and executes the plan.
     *
     * @throws VfioGuardException when the plan is not feasible (the message holds the plan)
     */
    static Result run(Vfio vfio, Container c, SessionOptions options) throws VfioException {
        Decision fallback = null;
        IommuType type = c.iommuType().orElse(null);
        if (type == null) {
            try {
                c.setIommu(IommuType.SPAPR_TCE_V2);
                type = IommuType.SPAPR_TCE_V2;
            } catch (VfioIoctlException e) {
                // Like QEMU: the subdriver advertises both types; v2 support is known only once a group
                // is attached (v2 attach needs dynamic windows). Retry with v1 on the same container.
                c.setIommu(IommuType.SPAPR_TCE_V1);
                type = IommuType.SPAPR_TCE_V1;
                fallback = new Decision("container type used", "SPAPR_TCE_V1 (fallback)",
                        "SET_IOMMU(SPAPR_TCE_v2) failed with " + Errno.format(e.errno())
                                + ": the platform offers no dynamic windows, so v2 cannot attach; v1 accepted");
            }
        } else if (!type.isSpapr()) {
            throw new VfioGuardException("DMA session over a " + type + " container", 0,
                    "the toolkit plans SPAPR TCE windows: set SPAPR_TCE_V2 (or leave the type unset)");
        }
        TceInfo info = c.tceInfo();
        long backingPage = options.backing().pageSize(vfio.backend());
        Plan plan = new WindowPlanner(options.planner()).plan(info, type, options.budget(), backingPage);
        if (fallback != null) {
            plan = plan.with(fallback);
        }
        if (!plan.feasible()) {
            throw new VfioGuardException("plan DMA windows for " + Sizes.human(options.budget()), 0,
                    plan.problem().get() + System.lineSeparator() + plan.toText());
        }
        DmaWindow w;
        DmaWindow kept = null;
        boolean created = false;
        boolean enabled = false;
        if (type == IommuType.SPAPR_TCE_V1) {
            c.enable();
            enabled = true;
            w = defaultWindow(c, info);
        } else if (plan.createWindow()) {
            if (plan.removeDefaultWindow() && c.windowAt(info.dma32WindowStart()) != null) {
                Decision how = removeDefaultWindow(c, info);
                if (how != null) {
                    plan = plan.with(how);
                }
            }
            w = create(c, plan);
            created = true;
            plan = plan.executed(w.start(), w.levels());
            if (!plan.removeDefaultWindow()) {
                kept = c.windowAt(info.dma32WindowStart());
            }
        } else {
            w = defaultWindow(c, info);
        }
        return new Result(plan, w, kept, created, enabled);
    }

    /**
     * Removes the default window. The kernel drops a still-pending default window only for
     * {@code REMOVE(start_addr = 0)}, wherever the window would be; a materialised one is removed by any
     * address inside it. So: REMOVE(0), and when that finds nothing (EINVAL: the window was materialised
     * and does not contain 0) REMOVE(its start).
     */
    private static Decision removeDefaultWindow(Container c, TceInfo info) throws VfioException {
        long start = info.dma32WindowStart();
        if (start == 0) {
            c.removeWindow(0);
            return null;
        }
        try {
            c.removeWindow(0);
            return new Decision("default window removal", "REMOVE(0)", String.format("the default window starts at "
                    + "0x%x, but the kernel drops a pending default window only for start_addr 0", start));
        } catch (VfioIoctlException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            c.removeWindow(start);
            return new Decision("default window removal", String.format("REMOVE(0x%x)", start),
                    "the default window was already materialised (REMOVE(0) found no window): removed by its start");
        }
    }

    private static DmaWindow defaultWindow(Container c, TceInfo info) throws VfioGuardException {
        DmaWindow w = c.windowAt(info.dma32WindowStart());
        if (w == null) {
            throw new VfioGuardException("DMA session: default window", 0, String.format(
                    "the container has no window at 0x%x (removed earlier?): open a fresh container",
                    info.dma32WindowStart()));
        }
        return w;
    }

    /** CREATE with the planned levels, retried with one more level up to the plan's maximum (QEMU's rule). */
    private static DmaWindow create(Container c, Plan plan) throws VfioException {
        VfioIoctlException last = null;
        for (int levels = plan.levels(); levels <= plan.maxLevels(); levels++) {
            try {
                return c.createWindow(plan.pageShift(), plan.windowSize(), levels);
            } catch (VfioIoctlException e) {
                last = e;
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOMEM) {
                    break;
                }
            }
        }
        throw last;
    }
}
