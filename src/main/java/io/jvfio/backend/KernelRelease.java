package io.jvfio.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The running kernel's release ({@code uname -r}) and what it implies for VFIO SPAPR TCE: inside a
 * pSeries guest it works from Linux 6.11 on, where the series "powerpc: pSeries: vfio: iommu:
 * Re-enable support for SPAPR TCE VFIO" (ending with f431a8cde7f1) was merged. Used where a kernel
 * backend call fails (the API's errors) and by {@code jvfio info}.
 */
public final class KernelRelease {
    /** The first release with the series: 6.11. */
    public static final int FIRST_MAJOR = 6;
    /** Minor of {@link #FIRST_MAJOR} with the series. */
    public static final int FIRST_MINOR = 11;

    private static final Path OSRELEASE = Path.of("/proc/sys/kernel/osrelease");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final Pattern PSERIES = Pattern.compile("(?m)^platform\\s*:\\s*pSeries\\s*$");
    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    private KernelRelease() {}

    /** The running kernel's release, e.g. {@code 6.12.95+deb12-powerpc64le}, or {@code unknown}. */
    public static String running() {
        try {
            return Files.readString(OSRELEASE).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Whether this is a pSeries (PAPR) guest: /proc/cpuinfo's {@code platform : pSeries} (ppc64 only). */
    public static boolean pseriesGuest() {
        try {
            return PSERIES.matcher(Files.readString(CPUINFO)).find();
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether VFIO SPAPR TCE cannot work here: a pSeries guest running a kernel before 6.11. */
    public static boolean lacksSpaprPseries(String release) {
        return beforeSpaprPseries(release) && pseriesGuest();
    }

    /** Whether {@code release} is older than 6.11 (false when it cannot be parsed: no guess). */
    public static boolean beforeSpaprPseries(String release) {
        int[] v = version(release);
        return v != null && (v[0] < FIRST_MAJOR || (v[0] == FIRST_MAJOR && v[1] < FIRST_MINOR));
    }

    /** {@code {MAJOR, MINOR, PATCH}} from a release's leading {@code MAJOR.MINOR[.PATCH]} (PATCH 0 when absent), or null. */
    static int[] version(String release) {
        Matcher m = VERSION.matcher(release == null ? "" : release.strip());
        if (!m.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
            m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
    }

    /**
     * The explanation for a failure on a kernel without the series: what is needed, which kernel runs,
     * and what was observed (e.g. {@code VFIO_SET_IOMMU(SPAPR_TCE_v2) failed: ENODEV (19)}).
     */
    public static String tooOld(String release, String observed) {
        return "VFIO SPAPR TCE in a pSeries guest needs Linux " + FIRST_MAJOR + "." + FIRST_MINOR
                + " or later (the series that re-enabled it, f431a8cde7f1, was merged for 6.11); this kernel is "
                + release + ", and " + observed + ". Boot a 6.11+ kernel (e.g. Debian bookworm-backports' 6.12).";
    }
}
