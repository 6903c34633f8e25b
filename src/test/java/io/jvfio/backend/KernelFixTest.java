package io.jvfio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which releases carry which change, from uname -r strings and package versions alike. */
class KernelFixTest {

    @Test
    void tceRangeCheck_mainline73_andStable728() {
        KernelFix f = KernelFix.TCE_RANGE_CHECK;
        assertFalse(f.fixedIn("6.12.95+deb12-powerpc64le"), "Debian's 6.12.95 predates the 6.12 backport");
        assertFalse(f.fixedIn("7.2.7"));
        assertTrue(f.fixedIn("7.2.8"));
        assertTrue(f.fixedIn("7.2.12+deb14-powerpc64le"));
        assertTrue(f.fixedIn("7.3.0-rc5"));
        assertTrue(f.fixedIn("8.0"));
        assertFalse(f.fixedIn("unknown"), "an unparsable release is taken as without the change");
        assertEquals("7.3 (7.2.8 stable)", f.fixedReleases());
    }

    @Test
    void cve202521713_affects611To61212And6130To6131() {
        KernelFix f = KernelFix.CVE_2025_21713;
        assertFalse(f.affects("6.10.14"), "before the series came in");
        assertTrue(f.affects("6.11.0"));
        assertTrue(f.affects("6.12.12"));
        assertFalse(f.affects("6.12.13"));
        assertFalse(f.affects("6.12.95+deb12-powerpc64le"));
        assertTrue(f.affects("6.13.1"));
        assertFalse(f.affects("6.13.2"));
        assertFalse(f.affects("6.14-rc1"));
        assertFalse(f.affects("7.2.12"));
        assertFalse(f.affects("garbage"));
        assertEquals("6.14 (6.12.13, 6.13.2 stable)", f.fixedReleases());
    }

    @Test
    void pseriesMsiParentDomain_carriedFrom618() {
        KernelFix f = KernelFix.PSERIES_MSI_PARENT_DOMAIN;
        assertFalse(f.carriedBy("6.12.95+deb12-powerpc64le"), "measured: MSI-X delivered after every reopen");
        assertFalse(f.carriedBy("6.17.9"));
        assertTrue(f.carriedBy("6.18.0"));
        assertTrue(f.carriedBy("7.2.12+deb14-powerpc64le"), "measured: MSI-X on the first enable per boot only");
        assertFalse(f.carriedBy("garbage"));
        assertFalse(f.affects("7.2.12"), "a change, not a fix: no release has a bug it fixes");
    }

    @Test
    void byCommit_needsSevenDigits() {
        assertEquals(KernelFix.TCE_RANGE_CHECK, KernelFix.byCommit("0b271f7d7f5e").orElseThrow());
        assertEquals(KernelFix.TCE_RANGE_CHECK, KernelFix.byCommit("0b271f7").orElseThrow());
        assertTrue(KernelFix.byCommit("0b27").isEmpty());
        assertTrue(KernelFix.byCommit("deadbeef").isEmpty());
    }
}
