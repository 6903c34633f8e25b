package io.jvfio.emul;

import java.util.List;

/**
 * One emulated IOMMU group: on pSeries one group per PHB (partitionable endpoint), numbered in PHB
 * order. Each group gets its own sPAPR PHB with the profile's window parameters.
 *
 * @param number the group number, {@code /dev/vfio/N}
 * @param devices the devices bound to vfio-pci in it (at least one)
 * @param node owner and mode of {@code /dev/vfio/N} ({@link DeviceNode#ROOT_0600} as the kernel creates it)
 */
public record GroupSpec(int number, List<DeviceSpec> devices, DeviceNode node) {
    /** A group whose node is as the kernel creates it, {@code root:root 0600}. */
    public GroupSpec(int number, List<DeviceSpec> devices) {
        this(number, devices, DeviceNode.ROOT_0600);
    }

    public GroupSpec {
        java.util.Objects.requireNonNull(node, "node");
        if (number < 0) {
            throw new IllegalArgumentException("group number must be >= 0: " + number);
        }
        devices = List.copyOf(devices);
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("group " + number + " has no device");
        }
    }

    /** This group with its node handed over (a udev rule or chown). */
    public GroupSpec withNode(DeviceNode n) {
        return new GroupSpec(number, devices, n);
    }

    public static GroupSpec of(int number, DeviceSpec... devices) {
        return new GroupSpec(number, List.of(devices));
    }
}
