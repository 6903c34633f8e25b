package io.jvfio.emul;

import java.util.List;

/**
 * One emulated IOMMU group: on pSeries one group per PHB (partitionable endpoint), numbered in PHB
 * order. Each group gets its own sPAPR PHB with the profile's window parameters.
 *
 * @param number the group number, {@code /dev/vfio/N}
 * @param devices the devices bound to vfio-pci in it (at least one)
 */
public record GroupSpec(int number, List<DeviceSpec> devices) {
    public GroupSpec {
        if (number < 0) {
            throw new IllegalArgumentException("group number must be >= 0: " + number);
        }
        devices = List.copyOf(devices);
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("group " + number + " has no device");
        }
    }

    public static GroupSpec of(int number, DeviceSpec... devices) {
        return new GroupSpec(number, List.of(devices));
    }
}
