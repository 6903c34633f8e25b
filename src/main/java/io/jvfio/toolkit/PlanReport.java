package io.jvfio.toolkit;

import io.jvfio.Container;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioIoctlException;

/**
 * The {@code jvfio plan} report: what the toolkit would set up for a given amount of memory on a
 * platform, as text or JSON. The platform is a GET_INFO answer: given directly (from a profile, or
 * typed in), or asked live from a group through any backend ({@link #probe}).
 *
 * <pre>{@code
 * String text = PlanReport.render(info, 32L << 20, 2L << 20, false);
 * PlanReport.Platform p = PlanReport.probe(vfio, 0);     // attaches group 0 to a scratch container
 * String json = PlanReport.render(p, 32L << 20, 4096, true);
 * }</pre>
 */
public final class PlanReport {
    private PlanReport() {}

    /**
     * What a live probe found: GET_INFO from a v2 container when the platform accepted v2 (else v1).
     *
     * @param info GET_INFO
     * @param infoFrom the container type it was asked on
     */
    public record Platform(TceInfo info, IommuType infoFrom) {}

    /**
     * The plan for {@code memorySize} bytes of memory backed by {@code backingPageSize} pages on the
     * platform described by {@code info} (the container type is inferred: DDW flag means v2), with the
     * default cost parameters: text, or pretty-printed JSON.
     */
    public static String render(TceInfo info, long memorySize, long backingPageSize, boolean json) {
        return render(new WindowPlanner().plan(info, memorySize, backingPageSize), json);
    }

    /** As {@link #render(TceInfo, long, long, boolean)}, for a probed platform and any options. */
    public static String render(Platform platform, long memorySize, long backingPageSize, PlannerOptions options,
            boolean json) {
        return render(new WindowPlanner(options).plan(platform.info(), platform.infoFrom(), memorySize,
                backingPageSize), json);
    }

    /** As {@link #render(Platform, long, long, PlannerOptions, boolean)} with the default options. */
    public static String render(Platform platform, long memorySize, long backingPageSize, boolean json) {
        return render(platform, memorySize, backingPageSize, PlannerOptions.defaults(), json);
    }

    /** A plan, as text or JSON. */
    public static String render(Plan plan, boolean json) {
        return json ? plan.toJson() : plan.toText();
    }

    /**
     * Asks the platform: opens a scratch container and group {@code groupNumber}, attaches it, sets
     * SPAPR v2 (v1 if refused, as the session would), reads GET_INFO, and closes both. No window is
     * created, nothing is mapped: on pSeries the attach alone hands the group's windows over, and the
     * close hands them back.
     */
    public static Platform probe(Vfio vfio, int groupNumber) throws VfioException {
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(groupNumber)) {
            g.attach(c);
            IommuType type = IommuType.SPAPR_TCE_V2;
            try {
                c.setIommu(type);
            } catch (VfioIoctlException e) {
                type = IommuType.SPAPR_TCE_V1;
                c.setIommu(type);
            }
            return new Platform(c.tceInfo(), type);
        }
    }

    /**
     * The plan on an emulated platform ({@code qemu-pseries}, {@code sriov-vf}, {@code no-ddw},
     * {@code big-window}, ...): probes group 0 of a fresh emulator of that profile.
     */
    public static String renderForProfile(String profile, long memorySize, long backingPageSize, boolean json)
            throws VfioException {
        try (Vfio vfio = VfioHost.emulated(profile)) {
            return render(probe(vfio, 0), memorySize, backingPageSize, json);
        }
    }

    /** {@link #probe} then {@link #render(Platform, long, long, boolean)}. */
    public static String render(Vfio vfio, int groupNumber, long memorySize, long backingPageSize, boolean json)
            throws VfioException {
        return render(probe(vfio, groupNumber), memorySize, backingPageSize, json);
    }
}
