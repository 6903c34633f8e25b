package io.jvfio;

import io.jvfio.abi.VfioUapi;

/**
 * {@code VFIO_DEVICE_GET_INFO}. Immutable.
 *
 * @param flags raw {@code VFIO_DEVICE_FLAGS_*} bits
 * @param numRegions how many region indexes {@link Device#region} accepts
 * @param numIrqs how many interrupt indexes {@link Device#irqInfo} accepts
 */
public record DeviceInfo(int flags, int numRegions, int numIrqs) {
    /**
     * Whether it is a PCI device (regions 0-5 are BARs, 7 is config space).
     *
     * @return {@code VFIO_DEVICE_FLAGS_PCI}
     */
    public boolean isPci() {
        return (flags & VfioUapi.VFIO_DEVICE_FLAGS_PCI) != 0;
    }

    /**
     * Whether {@link Device#reset()} can work.
     *
     * @return {@code VFIO_DEVICE_FLAGS_RESET}
     */
    public boolean supportsReset() {
        return (flags & VfioUapi.VFIO_DEVICE_FLAGS_RESET) != 0;
    }
}
