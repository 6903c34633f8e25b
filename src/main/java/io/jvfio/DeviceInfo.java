package io.jvfio;

import io.jvfio.abi.VfioUapi;

/** {@code VFIO_DEVICE_GET_INFO}. */
public record DeviceInfo(int flags, int numRegions, int numIrqs) {
    public boolean isPci() {
        return (flags & VfioUapi.VFIO_DEVICE_FLAGS_PCI) != 0;
    }

    public boolean supportsReset() {
        return (flags & VfioUapi.VFIO_DEVICE_FLAGS_RESET) != 0;
    }
}
