package io.jvfio;

import io.jvfio.abi.VfioUapi;

/** Which way the device may move data through a mapping (the TCE's read/write bits). Immutable. */
public enum DmaDirection {
    /** The device reads memory (DMA_TO_DEVICE): {@code VFIO_DMA_MAP_FLAG_READ}. */
    TO_DEVICE(VfioUapi.VFIO_DMA_MAP_FLAG_READ),
    /** The device writes memory (DMA_FROM_DEVICE): {@code VFIO_DMA_MAP_FLAG_WRITE}. */
    FROM_DEVICE(VfioUapi.VFIO_DMA_MAP_FLAG_WRITE),
    /** The device reads and writes memory: both flags. */
    BIDIRECTIONAL(VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE);

    private final int flags;

    DmaDirection(int flags) {
        this.flags = flags;
    }

    /**
     * The MAP_DMA flags for this direction.
     *
     * @return {@code VFIO_DMA_MAP_FLAG_READ} and/or {@code VFIO_DMA_MAP_FLAG_WRITE}
     */
    public int flags() {
        return flags;
    }
}
