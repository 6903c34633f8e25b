package io.jvfio.toolkit;

/**
 * Parameters of the {@link WindowPlanner} that are measurements or platform facts rather than inputs.
 *
 * @param teardownNanosPerTce what removing a window costs per TCE. {@code VFIO_IOMMU_SPAPR_TCE_REMOVE}
 *     (and a group detach) clears <em>every</em> TCE of the window, one hypervisor call each, mapped
 *     or not: about {@value #TCG_TEARDOWN_NANOS_PER_TCE} ns per TCE in the project's TCG pSeries guest
 *     (QEMU 7.2, Linux 6.12), so a 4 GiB window of 64 KiB pages (65536 TCEs) takes about 118 ms.
 *     Under nested KVM (an L2 guest whose TCEs L1's QEMU mirrors) it is two orders of magnitude
 *     more: about 16 s for a 256 MiB window of 4 KiB pages ({@value #NESTED_KVM_TEARDOWN_NANOS_PER_TCE}
 *     ns per TCE). Use the figure of the platform the plan is for.
 * @param systemPageSize the kernel's base page size (4 KiB or 64 KiB on ppc64le); used only to
 *     compute multi-level TCE tables like QEMU does, when the platform allows more than one level
 * @param keepDefaultWindow a requirement, off by default: keep the 32-bit default window next to the
 *     created one, for a device that also needs bus addresses below 4 GiB (e.g. a descriptor ring with
 *     32-bit pointers). It costs the default window's teardown (every one of its 4K TCEs), and the
 *     created window then lands where the platform puts a second window (QEMU: 0x0800000000000000),
 *     so the device must generate 60-bit addresses for it. Impossible on single-window platforms.
 */
public record PlannerOptions(double teardownNanosPerTce, long systemPageSize, boolean keepDefaultWindow) {
    /** Measured in the TCG pSeries guest: 1.8 µs per TCE. */
    public static final double TCG_TEARDOWN_NANOS_PER_TCE = 1800;
    /** Measured under nested KVM in TCG (L2 guest, 256 MiB / 4 KiB window in about 16 s). */
    public static final double NESTED_KVM_TEARDOWN_NANOS_PER_TCE = 244_000;

    public PlannerOptions {
        if (!(teardownNanosPerTce >= 0)) {
            throw new IllegalArgumentException("teardown cost per TCE must be >= 0: " + teardownNanosPerTce);
        }
        if (systemPageSize < 4096 || Long.bitCount(systemPageSize) != 1) {
            throw new IllegalArgumentException("system page size must be a power of two >= 4096: " + systemPageSize);
        }
    }

    /** The TCG guest's teardown cost, 4 KiB system pages, the default window removed when a DDW is created. */
    public static PlannerOptions defaults() {
        return new PlannerOptions(TCG_TEARDOWN_NANOS_PER_TCE, 4096, false);
    }

    public PlannerOptions withTeardownNanosPerTce(double nanos) {
        return new PlannerOptions(nanos, systemPageSize, keepDefaultWindow);
    }

    public PlannerOptions withSystemPageSize(long bytes) {
        return new PlannerOptions(teardownNanosPerTce, bytes, keepDefaultWindow);
    }

    public PlannerOptions withKeepDefaultWindow(boolean keep) {
        return new PlannerOptions(teardownNanosPerTce, systemPageSize, keep);
    }
}
