package io.jvfio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The probe's search on platforms the named profiles do not cover. */
class ProbeCommandTest {

    static String probe(Profile p, long maxTces) {
        ProbeCommand c = new ProbeCommand();
        c.group = 0;
        c.maxTces = maxTces;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        try (EmulatedBackend b = new EmulatedBackend(p)) {
            int status = c.probe(b, new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, status, out + "\n" + err);
            var st = b.inspect();
            assertFalse(st.kernelBugHit());
            assertEquals(java.util.Set.of(), st.failedDdwGroups(), "the probe made the PE sticky-failed");
            assertEquals(java.util.List.of(), st.openFds(), "fds left open");
            assertEquals(java.util.List.of(), st.containers(), "containers left");
        }
        return out.toString();
    }

    @Test
    void binarySearchBelowTheLargestBlock() {
        // 2^10 TCEs: 4 MiB of 4 KiB pages, 64 MiB of 64 KiB pages, ...
        String out = probe(Profile.qemuPseries().toBuilder().largestBlockTces(1 << 10).build(), 1 << 20);
        assertTrue(out.contains("  4K pages: 4M (8M -> EINVAL)"), out);
        assertTrue(out.contains("  64K pages: 64M (128M -> EINVAL)"), out);
        assertTrue(out.contains("  2M pages: 2G (4G -> EINVAL)"), out);
        assertTrue(out.contains("  16M pages: 16G (32G -> EINVAL)"), out);
    }

    @Test
    void capIsReportedAsAtLeast() {
        String out = probe(Profile.qemuPseries(), 1 << 4);
        assertTrue(out.contains("  4K pages: at least 64K (the cap: 16 TCEs)"), out);
    }
}
