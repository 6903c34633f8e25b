package io.jvfio.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelReleaseTest {
    @Test
    void releasesBeforeTheSeriesAreRecognised() {
        assertTrue(KernelRelease.beforeSpaprPseries("6.1.0-50-powerpc64le"));
        assertTrue(KernelRelease.beforeSpaprPseries("5.14.0-427.el9.ppc64le"));
        assertTrue(KernelRelease.beforeSpaprPseries("6.10.14"));
        assertFalse(KernelRelease.beforeSpaprPseries("6.11.0"));
        assertFalse(KernelRelease.beforeSpaprPseries("6.12.95+deb12-powerpc64le"));
        assertFalse(KernelRelease.beforeSpaprPseries("7.2.12+deb14-powerpc64le"));
        assertFalse(KernelRelease.beforeSpaprPseries("unknown"), "no guess on an unparsable release");
    }

    @Test
    void theMessageSaysWhatIsNeededWhatRunsAndWhatWasObserved() {
        String m = KernelRelease.tooOld("6.1.0-50-powerpc64le", "no /dev/vfio/0 exists");
        assertTrue(m.contains("needs Linux 6.11 or later"), m);
        assertTrue(m.contains("this kernel is 6.1.0-50-powerpc64le"), m);
        assertTrue(m.contains("no /dev/vfio/0 exists"), m);
    }

    @Test
    void theRunningReleaseIsRead() {
        String r = KernelRelease.running();
        assertTrue(r.matches("\\d+\\.\\d+.*"), r);
    }
}
