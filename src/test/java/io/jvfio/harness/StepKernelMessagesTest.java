package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.scenario.StepLines;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StepKernelMessagesTest {
    private static final List<String> DMESG = List.of(
            "[    1.000000] WARNING: nvram corruption detected: 0-length partition",
            "[    2.000000] early: WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 boot_thing+0x10/0x20",
            "[    3.000000] jvfio-step files/a.scn 1",
            "[    3.100000] jvfio-step files/a.scn 2",
            "[    3.200000] WARNING: CPU: 0 PID: 80 at mm/page_alloc.c:4545 __alloc_pages_noprof+0x1/0x2",
            "[    3.200001] Modules linked in:",
            "[    3.200002] Call Trace: WARNING: not a new message, the trace of the one above",
            "[    3.300000] jvfio-step files/b.scn 1",
            "[    3.400000] WARNING: CPU: 0 PID: 81 at arch/powerpc/mm/book3s64/iommu_api.c:100 destroy_context+0x1",
            "[    3.500000] jvfio-step files/b.scn 7",
            "[    3.600000] BUG: Kernel NULL pointer dereference at 0x00000000");

    @Test
    void eachMessageBelongsToTheLastStepMarkedBeforeIt() {
        StepKernelMessages.Attribution a = StepKernelMessages.attribute(DMESG, List.of());
        assertEquals(List.of("early: WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 boot_thing+0x10/0x20"), a.beforeAnyStep());
        assertEquals(List.of(
                new StepKernelMessages.Message("files/a.scn", 2, "WARNING: CPU: 0 PID: 80 at mm/page_alloc.c:4545 __alloc_pages_noprof+0x1/0x2"),
                new StepKernelMessages.Message("files/b.scn", 1, "WARNING: CPU: 0 PID: 81 at arch/powerpc/mm/book3s64/iommu_api.c:100 destroy_context+0x1"),
                new StepKernelMessages.Message("files/b.scn", 7, "BUG: Kernel NULL pointer dereference at 0x00000000")),
                a.afterSteps());
    }

    @Test
    void ignoredMessagesAreLeftOut() {
        StepKernelMessages.Attribution a = StepKernelMessages.attribute(DMESG, List.of(Pattern.compile("destroy_context")));
        assertEquals(List.of(2, 7), a.afterSteps().stream().map(StepKernelMessages.Message::step).toList());
    }

    @Test
    void aStepsResultShowsTheKindsOfItsMessages() {
        StepLines.Line l = StepLines.parse("3: register buf 0 0x0 -> ok");
        assertEquals(l, StepKernelMessages.annotate(l, List.of()));
        assertEquals("ok [kernel WARNING] [kernel BUG]", StepKernelMessages.annotate(l,
                List.of("WARNING: CPU: 0 at x", "WARNING: CPU: 0 at y", "BUG: Kernel NULL pointer")).result());
    }
}
