package io.jvfio;

import io.jvfio.abi.VfioUapi;

/**
 * {@code VFIO_DEVICE_GET_REGION_INFO}: where a region (BAR, config space, ROM) lives in the device
 * fd's file offsets, and what may be done with it.
 */
public record Region(int index, int flags, long size, long offset) {
    public boolean readable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_READ) != 0;
    }

    public boolean writable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_WRITE) != 0;
    }

    public boolean mappable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_MMAP) != 0;
    }
}
