package io.jvfio;

import io.jvfio.abi.VfioUapi;

/** Which way the device may move data through a mapping (the TCE's read/write bits). */
public enum DmaDirection {
    /** The device reads memory (DMA_TO_DEVICE): {@code VFIO_DMA_MAP_FLAG_READ}. */
    TO_DEVICE(VfioUapi.VFIO_DMA_MAP_FLAG_READ),
    /** The device writes memory (DMA_FROM_DEVICE): {@code VFIO_DMA_MAP_FLAG_WRITE}. */
    FROM_DEVICE(VfioUapi.VFIO_DMA_MAP_FLAG_WRITE),
    BIDIRECTIONAL(VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE);

    private final int flags;

    DmaDirection(int flags) {
        this.flags = flags;
    }

    public int flags() {
        return flags;
    }
}
