package io.jvfio.harness.nested;

import io.jvfio.harness.GuestImages;
import java.util.Locale;

/** The kernel L1 runs; the 64K-page one is the working setup (see {@link #K4} for the broken one). */
public enum L1Kernel {
    /** The 64 KiB-page kernel: one TCE-table level holds 16 MiB, i.e. windows up to 8 GiB of 4K TCEs. */
    K64("64k", GuestImages.Flavour.K64),
    /**
     * The 4 KiB-page kernel: the broken L1 for large windows. QEMU 7.2 sizes a host window's TCE table
     * in levels of (host page size x 256) bytes, i.e. 1 MiB on a 4K host, and backs every L2 TCE with
     * a 4K one; so any L2 window above 512 MiB (QEMU's default 1 GiB window included) needs a 2-level
     * table, which pSeries refuses, and QEMU in L1 aborts with "Failed to create SPAPR window".
     * Smaller windows work (the 256 MiB of the RFC's test passed all tests here). L2 also needs
     * {@code cap-hpt-max-page-size=4k} on a 4K L1 (l1-run.sh adds it).
     */
    K4("4k", GuestImages.Flavour.K4);

    private final String id;
    private final GuestImages.Flavour flavour;

    L1Kernel(String id, GuestImages.Flavour flavour) {
        this.id = id;
        this.flavour = flavour;
    }

    /** {@code 64k} or {@code 4k} (build-l1.sh's --l1-kernel value). */
    public String id() {
        return id;
    }

    /** The image flavour whose file names L1's image directory uses. */
    public GuestImages.Flavour flavour() {
        return flavour;
    }

    public static L1Kernel parse(String s) {
        String k = s.strip().toLowerCase(Locale.ROOT);
        for (L1Kernel v : values()) {
            if (v.id.equals(k)) {
                return v;
            }
        }
        throw new IllegalArgumentException("L1 kernel must be 64k or 4k: '" + s + "'");
    }
}
