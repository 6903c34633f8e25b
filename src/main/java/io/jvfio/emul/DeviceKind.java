package io.jvfio.emul;

/** The device models the emulator has. */
public enum DeviceKind {
    /** QEMU 7.2's {@code edu} teaching device, PCI 1234:11e8 rev 0x10 (hw/misc/edu.c). */
    EDU,
    /**
     * QEMU 7.2's {@code nvme} controller, PCI 1b36:0010 class 0x010802 (hw/nvme), with one namespace
     * of 512-byte blocks backed by memory or a raw image file.
     */
    NVME
}
