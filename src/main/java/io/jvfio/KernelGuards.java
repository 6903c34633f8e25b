package io.jvfio;

import static io.jvfio.abi.VfioIoctl.VFIO_GROUP_SET_CONTAINER;
import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_MAP_DMA;
import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_UNMAP_DMA;

import io.jvfio.backend.KernelFix;
import io.jvfio.backend.VfioBackend;

/**
 * A container's guards against known kernel bugs, by the release its backend reaches
 * ({@link VfioBackend#kernelRelease()}, read once): a call that would crash or hang that kernel is
 * refused before it is issued, naming the fix and the releases that carry it; on a kernel with the
 * fix the call goes through and the kernel answers.
 */
final class KernelGuards {
    private static final String MAP_CROSSES_WINDOW = "the pSeries kernel oopses on such a MAP_DMA (6.12.95 and 7.2.12"
            + " alike; no upstream fix yet): split the mapping at the window end";
    private final VfioBackend backend;
    private final String release;
    private final boolean unmapRangeChecked;
    private final boolean reuseAcrossGroupsCrashes;
    /** Why an UNMAP leaving its window is refused on this release (built once: UNMAP is a driver's hot path). */
    private final String unmapLeavesWindow;
    /** A MAP or CREATE succeeded since the IOMMU was set: the kernel made a window (its tables[] is not empty). */
    private volatile boolean windowMade;

    KernelGuards(VfioBackend backend) {
        this.backend = backend;
        this.release = backend.kernelRelease();
        this.unmapRangeChecked = KernelFix.TCE_RANGE_CHECK.fixedIn(release);
        this.reuseAcrossGroupsCrashes = KernelFix.CVE_2025_21713.affects(release);
        KernelFix f = KernelFix.TCE_RANGE_CHECK;
        this.unmapLeavesWindow = "Linux " + release + " checks only its first page and then makes a failing hypervisor"
                + " call for every page past the window (far past it, the call never returns; fixed by " + f.commit()
                + " in " + f.fixedReleases() + "): unmap within the window";
    }

    void windowMade(boolean made) {
        windowMade = made;
    }

    /** A MAP succeeded: recorded only on releases whose {@link #attach} depends on it (no barrier on a hot path elsewhere). */
    void mapped() {
        if (reuseAcrossGroupsCrashes && !windowMade) {
            windowMade = true;
        }
    }

    /**
     * VFIO_IOMMU_MAP_DMA of a range that crosses its window's end: refused on every release, since
     * 6.12.95 and 7.2.12 alike oops in tce_iommu_unuse_page_v2 and no upstream fix is known yet.
     */
    void map(DmaTracking tracking, long iova, long size) throws VfioGuardException {
        map(tracking, tracking.windowAt(iova), iova, size);
    }

    /** As {@link #map(DmaTracking, long, long)}, {@code w} the window {@code iova} falls in (null: none). */
    void map(DmaTracking tracking, DmaWindow w, long iova, long size) throws VfioGuardException {
        tracking.requireWithin(w, VFIO_IOMMU_MAP_DMA, iova, size, MAP_CROSSES_WINDOW);
    }

    /** Whether {@link #unmap} checks anything on this release: a caller can skip finding the window when not. */
    boolean checksUnmap() {
        return !unmapRangeChecked;
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA of a range that leaves its window: without {@link KernelFix#TCE_RANGE_CHECK}
     * the kernel checks the first page only and then makes a failing hypervisor call for every page
     * past the window (far past it the call never returns). With it the kernel answers 1 and clears nothing.
     */
    void unmap(DmaTracking tracking, long iova, long size) throws VfioGuardException {
        if (!unmapRangeChecked) {
            unmap(tracking, tracking.windowAt(iova), iova, size);
        }
    }

    /** As {@link #unmap(DmaTracking, long, long)}, {@code w} the window {@code iova} falls in (null: none). */
    void unmap(DmaTracking tracking, DmaWindow w, long iova, long size) throws VfioGuardException {
        if (!unmapRangeChecked) {
            tracking.requireWithin(w, VFIO_IOMMU_UNMAP_DMA, iova, size, unmapLeavesWindow);
        }
    }

    /**
     * VFIO_GROUP_SET_CONTAINER of a further group onto a v2 container that has a window: on kernels
     * with {@link KernelFix#CVE_2025_21713} the kernel's cleanup after set_window's EPERM dereferences a
     * window the new group never had.
     *
     * @param group the joining group's number
     * @param v2WithGroupAndWindow whether the container is v2, has a group and tracks a window
     */
    void attach(int group, boolean v2WithGroupAndWindow) throws VfioGuardException {
        if (reuseAcrossGroupsCrashes && v2WithGroupAndWindow && windowMade) {
            KernelFix f = KernelFix.CVE_2025_21713;
            throw new VfioGuardException("VFIO_GROUP_SET_CONTAINER group " + group, VFIO_GROUP_SET_CONTAINER.request(
                    backend.arch()), "the container already has a group and a DMA window, and on Linux " + release
                    + " adding a group to it crashes the kernel (CVE-2025-21713: set_window fails with EPERM and the"
                    + " cleanup dereferences a window the new group never had; fixed by " + f.commit() + " in "
                    + f.fixedReleases() + "): give the group a container of its own, attach every group before the"
                    + " first MAP or CREATE, or boot a fixed kernel");
        }
    }
}
