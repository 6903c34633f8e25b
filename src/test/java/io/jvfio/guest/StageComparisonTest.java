package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.harness.GuestTestCase;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the unprivileged stage pairs the kernel's outcomes with the emulator's. */
class StageComparisonTest {
    private static GuestTestCase t(String name, String status, String reason) {
        return new GuestTestCase("u", "io.jvfio.contract.V1ContractTest", name, status, reason, null, 1);
    }

    @Test
    void rowsPairAcrossBackendNamesAndRunsAndStageSkipsMustMatch() {
        String enomem = "unprivileged stage (uid 1000, RLIMIT_MEMLOCK 128MiB): enable failed ENOMEM as it must";
        List<GuestTestCase> kernel = List.of(t("a(Fixture) [kernel]", "SUCCESSFUL", null),
                t("b(Fixture) [kernel]", "ABORTED", enomem), t("c(Variant) [KERNEL]", "SUCCESSFUL", null),
                t("a(Fixture) [kernel]", "SUCCESSFUL", null), t("d(Fixture) [kernel]", "ABORTED", "no group 1"));
        List<GuestTestCase> emulated = List.of(t("a(Fixture) [emulated-ppc64le]", "SUCCESSFUL", null),
                t("b(Fixture) [emulated-ppc64le]", "SUCCESSFUL", null), t("c(Variant) [EMULATED_PPC64LE]", "SUCCESSFUL", null),
                t("a(Fixture) [emulated-ppc64le]", "FAILED", "boom"), t("d(Fixture) [emulated-ppc64le]", "SUCCESSFUL", null));
        StageComparison c = StageComparison.of(kernel, emulated);
        assertEquals(List.of("  V1ContractTest b(Fixture) [*]: kernel skipped(stage), emulator passed",
                "  V1ContractTest a(Fixture) [*] (run 2): kernel passed, emulator failed"), c.differing());
        assertTrue(c.lines().getFirst().contains("2 of 4 comparable tests with the same outcome"), c.lines().getFirst());
        assertTrue(c.lines().getFirst().contains("1 not comparable"), c.lines().getFirst());
        assertTrue(c.table().stream().anyMatch(l -> l.contains("d(Fixture) [*]  # no group 1")), c.table().toString());
    }
}
