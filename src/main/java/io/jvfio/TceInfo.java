package io.jvfio;

import io.jvfio.abi.VfioUapi;
import java.util.Optional;

/**
 * {@code VFIO_IOMMU_SPAPR_TCE_GET_INFO}: the default 32-bit window and, on v2 containers of platforms
 * with DDW, what dynamic windows can be created.
 *
 * @param flags raw flags ({@code VFIO_IOMMU_SPAPR_INFO_DDW})
 * @param dma32WindowStart bus address of the default window
 * @param dma32WindowSize its size in bytes
 * @param ddw present only when the DDW flag is set (never on v1 containers)
 *
 * <p>Immutable.
 */
public record TceInfo(int flags, long dma32WindowStart, long dma32WindowSize, Optional<DdwInfo> ddw) {
    /**
     * Whether GET_INFO reported dynamic windows (every v2 container on pSeries does).
     *
     * @return {@code VFIO_IOMMU_SPAPR_INFO_DDW}
     */
    public boolean hasDdw() {
        return (flags & VfioUapi.VFIO_IOMMU_SPAPR_INFO_DDW) != 0;
    }
}
