package io.jvfio.emul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.mem.MmIommu;
import io.jvfio.scenario.ScenarioParser;
import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.StepResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code jvfio diff --degenerate} found the 6.12 guest kernel to do, answered by the emulator. */
class DegenerateArgumentsTest {
    private static final String V2 = "open-group 0\nset-container\nset-iommu v2\nalloc buf 64K\n";

    private record Run(List<String> lines, EmulatorState state) {}

    private static Run run(String text) throws Exception {
        try (EmulatedBackend b = new EmulatedBackend(Profile.named(Profile.QEMU_PSERIES))) {
            ScenarioRunner.Outcome o = new ScenarioRunner(b).run(ScenarioParser.parse("t.scn", text));
            return new Run(o.results().stream().map(StepResult::text).toList(), b.inspect());
        }
    }

    @Test
    void registeringZeroBytesWarnsOncePerBootAndFailsWithEnomem() throws Exception {
        Run r = run(V2 + "register buf 0 0\nunregister buf 0 0\nregister buf 0 0\nregister buf\nunregister buf\n");
        assertEquals(List.of("5: register buf 0 0 -> ENOMEM", "6: unregister buf 0 0 -> ENOENT",
                "7: register buf 0 0 -> ENOMEM", "8: register buf -> ok", "9: unregister buf -> ok"), r.lines().subList(4, 9));
        // WARN_ON_ONCE: the second attempt in the same boot logs nothing
        assertEquals(1, r.state().dmesg().stream().filter(MmIommu.VZALLOC_ZERO_WARNING::equals).count(), () -> "" + r.state().dmesg());
        assertEquals(0, r.state().lockedVmBytes());
        assertTrue(r.state().preregRegions().isEmpty());
    }

    @Test
    void unmapFarPastItsWindowNeverReturns() throws Exception {
        Run far = run(V2 + "register buf\nmap 0 64K buf\nunmap 0 0xfffffffffffff000\n");
        assertEquals("7: unmap 0 0xfffffffffffff000 -> KERNEL-BUG", far.lines().get(6));
        assertTrue(far.state().kernelBugs().getFirst().contains("never returns"), () -> "" + far.state().kernelBugs());
        // a little past the window is only slow on the kernel: the TCEs inside are cleared
        Run near = run(V2 + "register buf\nmap 0 64K buf\nunmap 0 2G\nunregister buf\n");
        assertEquals(List.of("7: unmap 0 2G -> ok", "8: unregister buf -> ok"), near.lines().subList(6, 8));
        assertTrue(near.state().kernelBugs().isEmpty());
    }
}
