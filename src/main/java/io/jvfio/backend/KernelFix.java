package io.jvfio.backend;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * Upstream kernel changes that alter what VFIO SPAPR TCE does in a pSeries guest, and the releases
 * that carry them: the API guards known kernel bugs by release with these, the emulator models the
 * kernel its profile names with them, and a scenario's EXPECT can depend on them
 * ({@code -> ok | 0b271f7d7f5e: ret=1}). A release is {@code uname -r} or a package version
 * ({@code 7.2.12+deb14-powerpc64le}, {@code 6.12.95}); only its leading {@code MAJOR.MINOR[.PATCH]}
 * counts. A stable series that is not listed is taken as not carrying the change (no guess).
 */
public enum KernelFix {
    /**
     * "powerpc/iommu: Fix the overflow validation in iommu_tce_check_ioba" (7.3-rc, September 2026;
     * 7.2.8 stable; queued for the older stable series on 2026-09-23, not in Debian's 6.12.95): the
     * range check looks at every page, so VFIO_IOMMU_UNMAP_DMA of a range that leaves its window
     * returns 1 (the check's -EINVAL folded into a bool by iommu_tce_clear_param_check) and clears
     * nothing. Before it only the first page was checked and tce_iommu_clear went on past the window,
     * one failing H_PUT_TCE a page: far past it the ioctl never returned.
     */
    TCE_RANGE_CHECK("0b271f7d7f5e", "powerpc/iommu: Fix the overflow validation in iommu_tce_check_ioba",
            null, "7.3", Map.of("7.2", 8)),
    /**
     * CVE-2025-21713, "powerpc/pseries/iommu: Don't unset window if it was never set" (6.14-rc1;
     * 6.12.13 and 6.13.2 stable): attaching a second group to a v2 container that has a window fails
     * set_window with EPERM, and the cleanup unset every window of the new group, also those never set:
     * a NULL dereference in spapr_tce_unset_window. Present since the series (6.11).
     */
    CVE_2025_21713("17391cb2613b", "powerpc/pseries/iommu: Don't unset window if it was never set",
            "6.11", "6.14", Map.of("6.12", 13, "6.13", 2)),
    /**
     * "powerpc/pseries/msi: Switch to msi_create_parent_irq_domain()" (6.18 merge window, 2025): a
     * PCI device gets its own MSI-X domain, kept until the device goes, and the firmware call that
     * makes the hypervisor write the device's MSI-X table (ibm,change-msi) runs when that domain is
     * created, no longer on every enable. vfio-pci resets the function when its device fd is opened
     * and closed, which clears the table; so on a pSeries guest only the first MSI-X enable of a
     * device per boot delivers interrupts, every later one (the next open, by this or another
     * process) has its vectors write nowhere. Measured: Debian's 7.2.12 (yes), 6.12.95 (no). Not a
     * fix: the change itself; {@link #carriedBy} names the releases with it. No upstream fix known.
     */
    PSERIES_MSI_PARENT_DOMAIN("daaa574aba6f", "powerpc/pseries/msi: Switch to msi_create_parent_irq_domain()",
            null, "6.18", Map.of());

    private final String commit;
    private final String title;
    private final String introducedIn;
    private final String mainline;
    private final Map<String, Integer> stable;

    KernelFix(String commit, String title, String introducedIn, String mainline, Map<String, Integer> stable) {
        this.commit = commit;
        this.title = title;
        this.introducedIn = introducedIn;
        this.mainline = mainline;
        this.stable = stable;
    }

    /** The upstream commit, abbreviated to 12 hex digits. */
    public String commit() {
        return commit;
    }

    /** The upstream commit's subject. */
    public String title() {
        return title;
    }

    /** Whether {@code release} carries this change (false when it cannot be parsed: no guess). */
    public boolean fixedIn(String release) {
        int[] v = parse(release);
        if (v == null) {
            return false;
        }
        if (compare(v, parse(mainline)) >= 0) {
            return true;
        }
        Integer patch = stable.get(v[0] + "." + v[1]);
        return patch != null && v[2] >= patch;
    }

    /** Whether {@code release} carries this change: {@link #fixedIn}, for a change that is not a fix. */
    public boolean carriedBy(String release) {
        return fixedIn(release);
    }

    /** Whether {@code release} has the bug this change fixes: from where it came in, until fixed. */
    public boolean affects(String release) {
        int[] v = parse(release);
        return v != null && (introducedIn == null || compare(v, parse(introducedIn)) >= 0) && !fixedIn(release);
    }

    /** The releases that carry it, for messages: {@code 7.3 (7.2.8 stable)}. */
    public String fixedReleases() {
        String s = stable.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "." + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("");
        return mainline + (s.isEmpty() ? "" : " (" + s + " stable)");
    }

    /** The change with this (abbreviated) commit id. */
    public static Optional<KernelFix> byCommit(String commit) {
        return Arrays.stream(values()).filter(f -> commit.length() >= 7 && f.commit.startsWith(commit)).findFirst();
    }

    private static int[] parse(String release) {
        return KernelRelease.version(release);
    }

    private static int compare(int[] a, int[] b) {
        return Arrays.compare(a, b);
    }
}
