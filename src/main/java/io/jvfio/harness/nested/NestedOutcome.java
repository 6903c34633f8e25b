package io.jvfio.harness.nested;

/** How a nested run ended; every value but {@link #OK} comes with a one-line reason. */
public enum NestedOutcome {
    /** L2 ran its payload to the end, every test passed, no kernel problem. */
    OK(0),
    /** L1 has no /dev/kvm (L0 without cap-nested-hv, kvm-hv refused to load). */
    NO_KVM(10),
    /** QEMU in L1 failed to create a SPAPR window (the 4K-page L1: 2-level TCE tables). */
    WINDOW_CREATE_FAILED(11),
    /** A test failed in L2 (or L2's run script exited non-zero). */
    TEST_FAILED(12),
    /** The time ran out: L1 stopped L2, or the host killed L0. */
    TIMEOUT(13),
    /** QEMU in L1 ended before L2 reported its end (crash, refused option, ...). */
    QEMU_FAILED(14),
    /** An Oops, BUG or WARNING in L2's or L1's kernel log (the known early-exit WARN excluded). */
    KERNEL_PROBLEM(15),
    /** A device meant for L2 is missing in L1 or not bound to vfio-pci. */
    DEVICE_NOT_BOUND(16),
    /** L1 itself did not get through its run (no verdict line, no exit line). */
    L1_FAILED(-1);

    private final int l1ExitStatus;

    NestedOutcome(int l1ExitStatus) {
        this.l1ExitStatus = l1ExitStatus;
    }

    /** The exit status l1-run.sh uses for this outcome (-1: none). */
    public int l1ExitStatus() {
        return l1ExitStatus;
    }

    /** The outcome l1-run.sh's exit status stands for, or {@link #L1_FAILED}. */
    public static NestedOutcome ofL1ExitStatus(int status) {
        for (NestedOutcome o : values()) {
            if (o.l1ExitStatus == status && o != L1_FAILED) {
                return o;
            }
        }
        return L1_FAILED;
    }
}
