package io.jvfio;

import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_MAP_DMA;
import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_UNMAP_DMA;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.KernelFix;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntToLongFunction;

/**
 * Issuing a {@link Container}'s ioctls: the fd held for the call (so a concurrent close never lets
 * a call reach a reused fd), every call logged, a negative return turned into a {@link VfioException}
 * naming the ioctl and errno.
 */
final class ContainerIoctls {
    /** MAP/UNMAP argument structs, one per thread: the hot path allocates nothing. */
    private static final ThreadLocal<MemorySegment> MAP_ARGS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(vfio_iommu_type1_dma_map.LAYOUT));
    private static final ThreadLocal<MemorySegment> UNMAP_ARGS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(vfio_iommu_type1_dma_unmap.LAYOUT));

    private final VfioBackend backend;
    private final FdHandle fd;

    ContainerIoctls(VfioBackend backend, FdHandle fd) {
        this.backend = backend;
        this.fd = fd;
    }

    /** Runs {@code call} on the held fd; {@code detail} names the arguments in an error. */
    long call(VfioIoctl ioctl, String detail, IntToLongFunction call) throws VfioException {
        int f = fd.acquire();
        try {
            return check(ioctl, detail, log(ioctl, f, call.applyAsLong(f)));
        } finally {
            fd.release();
        }
    }

    /**
     * As {@link #call(VfioIoctl, String, IntToLongFunction)}, for a call that charges
     * {@code neededBytes} of locked memory: an ENOMEM names the limit in force and the fix.
     */
    long call(VfioIoctl ioctl, String detail, long neededBytes, IntToLongFunction call) throws VfioException {
        int f = fd.acquire();
        long r;
        try {
            r = log(ioctl, f, call.applyAsLong(f));
        } finally {
            fd.release();
        }
        if (r < 0) {
            throw Errors.charging(backend, ioctl, detail, (int) -r, neededBytes);
        }
        return r;
    }

    /** VFIO_IOMMU_MAP_DMA; the caller has made its checks. */
    void mapDma(long iova, long vaddr, long size, DmaDirection direction) throws VfioException {
        dma(VFIO_IOMMU_MAP_DMA, vfio_iommu_type1_dma_map.fill(MAP_ARGS.get(), direction.flags(), vaddr, iova, size),
                iova, size);
    }

    /** VFIO_IOMMU_UNMAP_DMA; the caller has made its checks. */
    void unmapDma(long iova, long size) throws VfioException {
        dma(VFIO_IOMMU_UNMAP_DMA, vfio_iommu_type1_dma_unmap.fill(UNMAP_ARGS.get(), iova, size), iova, size);
    }

    /** MAP_DMA or UNMAP_DMA with its filled struct; no lambda, so the hot path allocates nothing. */
    private void dma(VfioIoctl ioctl, MemorySegment s, long iova, long size) throws VfioException {
        int f = fd.acquire();
        long r;
        try {
            r = ioctl == VFIO_IOMMU_MAP_DMA ? backend.iommuMapDma(f, s) : backend.iommuUnmapDma(f, s);
        } finally {
            fd.release();
        }
        completed(ioctl, f, r, iova, size);
    }

    /** A MAP_DMA or UNMAP_DMA issued on {@code f} (by a {@link DmaMapper}) returned {@code r}: logged, and thrown unless 0. */
    void completed(VfioIoctl ioctl, int f, long r, long iova, long size) throws VfioException {
        log(ioctl, f, r);
        if (r != 0) {
            mapFailed(ioctl, iova, size, r);
        }
    }

    private long check(VfioIoctl ioctl, String detail, long r) throws VfioException {
        if (r < 0) {
            throw Errors.ioctl(backend, ioctl, detail, (int) -r);
        }
        return r;
    }

    private long log(VfioIoctl ioctl, int f, long r) {
        if (IoctlLog.LOG.isDebugEnabled()) { // the request number is not computed per call when nobody logs
            IoctlLog.log(ioctl, ioctl.request(backend.arch()), f, r);
        }
        return r;
    }

    private void mapFailed(VfioIoctl ioctl, long iova, long size, long r) throws VfioException {
        String detail = String.format("iova=0x%x size=0x%x", iova, size);
        if (r > 0) {
            // iommu_tce_put/clear_param_check return a bool through an int: +1 means iommu_tce_check_ioba
            // refused the IOVA (misaligned) or, for UNMAP on kernels with 0b271f7d7f5e, the range (leaves its window).
            throw new VfioIoctlException(ioctl.name() + " " + detail, ioctl.request(backend.arch()), 0,
                    "the kernel returned " + r + " (not an errno): the IOVA is not aligned to the window's TCE page"
                    + (ioctl == VFIO_IOMMU_UNMAP_DMA ? ", or (Linux with " + KernelFix.TCE_RANGE_CHECK.commit()
                    + ", e.g. 7.2.8+) the range leaves its window; nothing was unmapped" : ""));
        }
        check(ioctl, detail, r);
    }
}
