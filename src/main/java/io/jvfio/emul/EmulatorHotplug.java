package io.jvfio.emul;

import io.jvfio.emul.device.VfioPciDevice;

/**
 * DLPAR on the emulated machine, as QEMU's {@code device_add}/{@code device_del} on a PHB and the
 * guest's rtas_errd, drmgr and the kernel's PCI and VFIO code do it together in the real guest:
 *
 * <ul>
 *   <li>{@link #add}: a PHB with the group's devices appears (a new IOMMU group, {@code /dev/vfio/N},
 *       bound to vfio-pci) with the profile's windows: a hot-added device's default window exists and
 *       can be re-created, as the guest showed on 6.12 and 7.2;
 *   <li>{@link #remove}: vfio-pci's removal. A device nobody holds leaves at once; a held one gets the
 *       request interrupt ({@code VFIO_PCI_REQ_IRQ_INDEX}, or the "No device request channel" line when
 *       none is armed) and leaves when its last fd closes. Its group, once empty, loses its node and is
 *       detached from its container (whose windows go with the last group); the open group fd answers
 *       ENODEV.
 * </ul>
 *
 * <p>Not modelled: the kernel re-asks every 10 s while it waits (the emulator asks once, a caller can
 * ask again), and the seconds rtas_errd and drmgr take.
 */
public final class EmulatorHotplug {
    /** What {@link #remove} did. */
    public enum Removal {
        /** Nobody held the device: it is gone. */
        DONE,
        /** The device is open: its holder was asked; it leaves at the last close. */
        REQUESTED
    }

    private final EmulatorPlatform platform;

    EmulatorHotplug(EmulatorPlatform platform) {
        this.platform = platform;
    }

    /**
     * Hot-adds a PHB carrying {@code group}'s devices.
     *
     * @throws IllegalArgumentException if a group of that number or a device of those addresses exists
     */
    public void add(GroupSpec group) {
        platform.enter();
        try {
            if (platform.groups().contains(group.number())) {
                throw new IllegalArgumentException("hot-add: group " + group.number() + " exists already");
            }
            for (DeviceSpec d : group.devices()) {
                if (find(d.pciAddress()) != null) {
                    throw new IllegalArgumentException("hot-add: " + d.pciAddress() + " exists already");
                }
            }
            platform.plug(group);
            platform.log("pci " + group.devices().getFirst().pciAddress() + ": Adding to iommu group " + group.number());
        } finally {
            platform.lock.unlock();
        }
    }

    /**
     * Hot-removes the device at {@code pciAddress} (again: asks its holder again).
     *
     * @return whether it is gone or waits for its holder
     * @throws IllegalArgumentException if there is no such device (any more)
     */
    public Removal remove(String pciAddress) {
        platform.enter();
        try {
            VfioPciDevice d = find(pciAddress);
            if (d == null) {
                throw new IllegalArgumentException("hot-remove: no device " + pciAddress);
            }
            String line = d.requestRemoval();
            if (line != null) {
                platform.log(line);
            }
            if (d.openCount() > 0) {
                return Removal.REQUESTED;
            }
            platform.vfio.removeDevice(d);
            return Removal.DONE;
        } finally {
            platform.lock.unlock();
        }
    }

    private VfioPciDevice find(String pciAddress) {
        return platform.vfio.groups().stream().flatMap(g -> g.devices().stream()).filter(x -> x.name().equals(pciAddress))
                .findFirst().orElse(null);
    }
}
