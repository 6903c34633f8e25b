package io.jvfio;

import io.jvfio.abi.VfioUapi;

/**
 * {@code VFIO_DEVICE_GET_REGION_INFO}: where a region (BAR, config space, ROM) lives in the device
 * fd's file offsets, and what may be done with it. Immutable.
 *
 * @param index the region index (0-5 BARs, 6 ROM, 7 config space)
 * @param flags raw {@code VFIO_REGION_INFO_FLAG_*} bits
 * @param size bytes; 0 for a region the device does not have
 * @param offset where the region starts in the device fd
 */
public record Region(int index, int flags, long size, long offset) {
    /**
     * Whether the region can be read ({@link Device#read}).
     *
     * @return {@code VFIO_REGION_INFO_FLAG_READ}
     */
    public boolean readable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_READ) != 0;
    }

    /**
     * Whether the region can be written ({@link Device#write}).
     *
     * @return {@code VFIO_REGION_INFO_FLAG_WRITE}
     */
    public boolean writable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_WRITE) != 0;
    }

    /**
     * Whether the region can be mapped ({@link Device#mapBar}).
     *
     * @return {@code VFIO_REGION_INFO_FLAG_MMAP}
     */
    public boolean mappable() {
        return (flags & VfioUapi.VFIO_REGION_INFO_FLAG_MMAP) != 0;
    }
}
