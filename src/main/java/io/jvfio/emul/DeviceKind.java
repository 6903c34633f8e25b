package io.jvfio.emul;

/** The device models the emulator has. */
public enum DeviceKind {
    /** QEMU 7.2's {@code edu} teaching device, PCI 1234:11e8 rev 0x10 (hw/misc/edu.c). */
    EDU
}
