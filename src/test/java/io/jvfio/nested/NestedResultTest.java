package io.jvfio.nested;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.harness.ConsoleLine;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.nested.L1Kernel;
import io.jvfio.harness.nested.NestedMachine;
import io.jvfio.harness.nested.NestedOutcome;
import io.jvfio.harness.nested.NestedResult;
import io.jvfio.harness.nested.SpaprOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading a nested run back from L0's console (no QEMU needed): the lines are as l1-run.sh prints them. */
class NestedResultTest {
    private final List<ConsoleLine> lines = new ArrayList<>();
    private long at;

    private NestedResultTest add(double seconds, String... texts) {
        at = (long) (seconds * 1000);
        for (String t : texts) {
            lines.add(new ConsoleLine(at, t));
        }
        return this;
    }

    private GuestResult l0(int exit) {
        return GuestResult.parse("nested-x", "host", List.of("qemu-system-ppc64"), lines, "", 0, false,
                Duration.ofMillis(at + 300));
    }

    private void l1Boot() {
        add(4.9, "[init] t=4.10", "[init] t=4.80 run", "[L1] t=4.9 nested L1: l1_kernel=64k");
        add(6.0, "[L1] /dev/kvm ready: kvm_hv.nested=Y",
                "[L1] t=6.0 starting L2: qemu-system-ppc64 -M pseries,x-vof=on -accel kvm -cpu host");
    }

    private void l1End(String verdict, int rc) {
        add(60.0, "NESTED-TRACE-BEGIN",
                "174@1795471550.618636:vfio_prereg_register va=0x7fff8fe00000 size=0x20000000 ret=0",
                "174@1795471550.757807:vfio_spapr_remove_window offset=0x0",
                "174@1795471551.079509:vfio_spapr_create_window pageshift=0xc levels=1 winsize=0x1000000 offset=0x0",
                "NESTED-TRACE-END", "NESTED-SPAPR-OPS-BEGIN",
                "NESTED-OP 0.000 register-memory va=0x7fff8fe00000 size=0x20000000 ret=0",
                "NESTED-OP 0.139 remove-default-window offset=0x0",
                "NESTED-OP 0.461 create-window pageshift=0xc levels=1 winsize=0x1000000 offset=0x0",
                "NESTED-OP 0.472 attach-group-to-kvm-tce-table Attached groupfd 12 to liobn fd 18",
                "NESTED-OP 20.100 L2:ddw-create buid=0x800000020000000 addr=0x0, page size=0x10000, requested=0x1000000, start addr=0x800000000000000, liobn=0x80000001",
                "NESTED-SPAPR-OPS-END");
        add(60.5, verdict, "", "JVFIO-EXIT: " + rc, "JVFIO-DMESG-BEGIN",
                "[    0.000000] Linux version 6.12.95+deb12-powerpc64le-64k",
                "[    0.100000] WARNING: nvram corruption detected: 0-length partition", "JVFIO-DMESG-END");
    }

    @Test
    void aPassingRun() {
        l1Boot();
        add(20.0, "[L2] [init] t=3.2", "[L2] [init] t=3.9 run", "[L2] [run] t=3.9 java", "[L2] @@JVFIO-START ms=2700");
        add(45.0, "[L2] @@JVFIO-TEST {\"uid\":\"u1\",\"class\":\"io.jvfio.guest.dma.EduDmaTest\",\"name\":\"a()\",\"status\":\"SUCCESSFUL\",\"reason\":null,\"ms\":80}");
        add(47.0, "[L2] @@JVFIO-TEST {\"uid\":\"u2\",\"class\":\"io.jvfio.guest.dma.EduDmaTest\",\"name\":\"b()\",\"status\":\"ABORTED\",\"reason\":\"no group 1\",\"ms\":1}",
                "[L2] @@JVFIO-SUMMARY passed=1 failed=0 skipped=1 ms=25000", "[L2] ", "[L2] JVFIO-EXIT: 0",
                "[L2] JVFIO-DMESG-BEGIN", "[L2] [    0.1] hello", "[L2] JVFIO-DMESG-END");
        add(58.0, "[L1] t=58.0 L2's QEMU exited with status 0", "[L1] qemu: vfio: Cannot reset device 0000:00:00.0");
        l1End("NESTED-RESULT: ok (passed=1 failed=0 skipped=1 ms=25000)", 0);

        NestedResult r = NestedResult.parse("x", NestedMachine.defaults(), l0(0), false);
        assertEquals(NestedOutcome.OK, r.outcome(), r.report());
        assertTrue(r.passed());
        assertEquals("", r.reason());
        assertEquals(1, r.tests().passed());
        assertEquals(1, r.tests().skipped());
        assertTrue(r.tests().complete());
        assertEquals(0, r.l2ExitStatus());
        assertEquals(0, r.l2().qemuExitCode());
        assertTrue(r.l2().qemuStderr().contains("Cannot reset device"));
        assertEquals(List.of("[    0.1] hello"), r.l2().dmesg());
        assertEquals(3, r.trace().size());
        assertEquals(List.of("register-memory", "remove-default-window", "create-window", "attach-group-to-kvm-tce-table",
                "L2:ddw-create"), r.ops().stream().map(SpaprOp::op).toList());
        assertEquals(4, r.containerOps().size());
        SpaprOp create = r.first("create-window").orElseThrow();
        assertEquals(16L << 20, create.windowSize().orElseThrow());
        assertEquals(1, create.levels().orElseThrow());
        assertEquals(12, create.pageShift().orElseThrow());
        assertEquals("create-window 4K TCEs, 16M @0x0, 1 level", create.brief());
        assertEquals(Duration.ofMillis(4900), r.timing().l1Init());
        assertEquals(Duration.ofMillis(6000), r.timing().l2Start());
        assertEquals(Duration.ofMillis(20000), r.timing().l2Init());
        assertEquals(Duration.ofMillis(45000), r.timing().firstTest());
        assertEquals(Duration.ofMillis(47000), r.timing().l2End());
        assertTrue(r.knownWarnings().isEmpty());
        assertTrue(r.kernelProblems().isEmpty(), r.kernelProblems().toString());
        assertTrue(r.report().contains("remove-default-window @0x0"), r.report());
        assertEquals(List.of(
                "   0.000 s  QEMU start-up               -> register-memory 512M at va 0x7fff8fe00000; remove-default-window @0x0;"
                        + " create-window 4K TCEs, 16M @0x0, 1 level; attach group fd 12 to KVM TCE table fd 18",
                "  20.100 s  L2 ddw-create 16M of 64K TCEs (buid=0x800000020000000 addr=0x0, page size=0x10000, requested=0x1000000,"
                        + " start addr=0x800000000000000, liobn=0x80000001)"), r.opSequence());
        assertEquals(List.of("qemu-system-ppc64", "-M", "pseries,x-vof=on", "-accel", "kvm", "-cpu", "host"),
                r.l2().command());
    }

    @Test
    void theBrokenL1_isAWindowFailureWithTheKnownWarn() {
        l1Boot();
        add(8.0, "[L1] t=8.0 L2's QEMU exited with status 134",
                "[L1] qemu: qemu-system-ppc64: Failed to create a window, ret = -1 (Invalid argument)",
                "[L1] qemu: qemu-system-ppc64: Failed to create SPAPR window: Invalid argument",
                "NESTED-KNOWN-WARN: L1 kernel: WARNING: CPU: 0 PID: 173 at arch/powerpc/kvm/../../../virt/kvm/vfio.c:103"
                        + " kvm_spapr_tce_release_vfio_group+0x60/0x78 [kvm] -- the known WARN");
        String reason = NestedKvmTest.BROKEN_L1_REASON + " (QEMU: Failed to create a window, ret = -1 (Invalid argument))";
        add(8.1, "NESTED-FAIL: " + reason, "", "JVFIO-EXIT: 11", "JVFIO-DMESG-BEGIN",
                "[    7.354191] WARNING: CPU: 0 PID: 173 at arch/powerpc/kvm/../../../virt/kvm/vfio.c:103 kvm_spapr_tce_release_vfio_group+0x60/0x78 [kvm]",
                "[    7.354200] Modules linked in: kvm_hv kvm", "JVFIO-DMESG-END");
        NestedMachine m = NestedMachine.builder().l1Kernel(L1Kernel.K4).clearL2PhbGlobal("dma_win_size").build();
        NestedResult r = NestedResult.parse("x", m, l0(11), false);
        assertEquals(NestedOutcome.WINDOW_CREATE_FAILED, r.outcome());
        assertEquals(reason, r.reason());
        assertEquals(1, r.knownWarnings().size());
        assertTrue(r.kernelProblems().isEmpty(), "the known WARN is not a new problem: " + r.kernelProblems());
        assertEquals(134, r.l2().qemuExitCode());
        assertEquals(-1, r.l2ExitStatus());
        assertTrue(r.verdictLine().startsWith("FAILED (WINDOW_CREATE_FAILED): QEMU in L1 failed to create a SPAPR window"));
        assertEquals(-1, m.dmaWindowSize(), "QEMU's default window");
    }

    @Test
    void noKvm_andAnUnknownWarning() {
        add(5.0, "[init] t=4.1", "[init] t=4.8 run",
                "NESTED-FAIL: L1 has no /dev/kvm (insmod kvm-hv.ko: No such device; dmesg: kvm-hv: Parent hypervisor does not support nesting (rc=-2))",
                "", "JVFIO-EXIT: 10", "JVFIO-DMESG-BEGIN", "[    1.0] WARNING: CPU: 0 PID: 1 at mm/foo.c:1 bar", "JVFIO-DMESG-END");
        NestedResult r = NestedResult.parse("x", NestedMachine.defaults(), l0(10), false);
        assertEquals(NestedOutcome.NO_KVM, r.outcome());
        assertTrue(r.reason().startsWith("L1 has no /dev/kvm (insmod kvm-hv.ko"));
        assertEquals(1, r.kernelProblems().size());
        assertTrue(r.kernelProblems().getFirst().startsWith("L1: [    1.0] WARNING: CPU: 0 PID: 1 at mm/foo.c:1"));
    }

    @Test
    void killedByTheHost_isATimeoutNamingTheLastMilestone() {
        l1Boot();
        add(30.0, "[L2] [init] t=3.2", "[L2] [init] t=3.9 run",
                "[L2] @@JVFIO-TEST {\"uid\":\"u1\",\"class\":\"C\",\"name\":\"a()\",\"status\":\"SUCCESSFUL\",\"reason\":null,\"ms\":80}");
        GuestResult l0 = GuestResult.parse("nested-x", "host", List.of("qemu"), lines, "", -1, true, Duration.ofSeconds(270));
        NestedResult r = NestedResult.parse("x", NestedMachine.defaults(), l0, true);
        assertEquals(NestedOutcome.TIMEOUT, r.outcome());
        assertTrue(r.reason().startsWith("the time ran out: L0 was killed after 270 s (L2 tests were running: 1 reported)"),
                r.reason());
        assertFalse(r.passed());
    }

    @Test
    void l1NeverReportingIsItsOwnFailure() {
        add(3.0, "Linux ppc64le", "[    2.0] Kernel panic - not syncing: VFS: Unable to mount root fs");
        NestedResult r = NestedResult.parse("x", NestedMachine.defaults(), l0(-1), false);
        assertEquals(NestedOutcome.L1_FAILED, r.outcome());
        assertTrue(r.reason().startsWith("L1 did not finish its run (no JVFIO-EXIT line"), r.reason());
        assertEquals(1, r.kernelProblems().size());
    }

    @Test
    void settingsForL1_areShellWordsAndRefuseSpaces() {
        NestedMachine m = NestedMachine.builder().dmaWindowSize(32L << 20).ddw(true).l2Memory("768M")
                .l2Devices("0000:00:00.0", "0001:00:00.0").secondPhb(true).build();
        String s = m.l1Settings();
        assertTrue(s.contains("L2_DEVICES='0000:00:00.0 0001:00:00.0'\n"), s);
        assertTrue(s.contains("L2_GLOBALS='spapr-pci-host-bridge.dma_win_size=0x2000000 spapr-pci-host-bridge.ddw=on'\n"), s);
        assertTrue(s.contains("L2_MEM='768M'\n"), s);
        assertTrue(s.contains("L2_TRACE='vfio_spapr_* vfio_prereg_* spapr_iommu_ddw_*'\n"), s);
        assertTrue(m.l0Machine().machineOptions().contains("cap-nested-hv=on"));
        assertTrue(m.l0Machine().secondPhb());
        assertEquals(32L << 20, m.dmaWindowSize());
        assertThrows(IllegalArgumentException.class, () -> NestedMachine.builder().l2KernelArg("a b").build());
        assertThrows(IllegalArgumentException.class, () -> NestedMachine.builder().l2Cpu("host'").build());
        assertThrows(IllegalArgumentException.class, () -> NestedMachine.builder().l2Devices().build());
        assertFalse(NestedMachine.builder().nestedHv(false).build().l0Machine().machineOptions().contains("cap-nested-hv=on"));
    }

    @Test
    void spaprOpLines() {
        SpaprOp o = SpaprOp.parse("[ 62.13] NESTED-OP 0.139 remove-default-window offset=0x0").orElseThrow();
        assertEquals(0.139, o.atSeconds(), 1e-9);
        assertEquals("remove-default-window @0x0", o.brief());
        assertEquals(0L, o.offset().orElseThrow());
        SpaprOp n = SpaprOp.parse("NESTED-OP - register-memory va=0x1 size=0x2 ret=0").orElseThrow();
        assertEquals(-1, n.atSeconds());
        assertTrue(SpaprOp.parse("nothing here").isEmpty());
        SpaprOp ddw = SpaprOp.parse("NESTED-OP 1.0 create-window pageshift=0x10 levels=1 winsize=0x2000000 offset=0x800000000000000").orElseThrow();
        assertEquals("create-window 64K TCEs, 32M @0x800000000000000, 1 level", ddw.brief());
    }
}
