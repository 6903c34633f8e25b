package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_pci_hot_reset_info}: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO; {@code devices[]} follows at {@link #SIZE}. */
public final class vfio_pci_hot_reset_info {
    private vfio_pci_hot_reset_info() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("count")).withName("vfio_pci_hot_reset_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 count = U32.of(LAYOUT, "count");

    /** The kernel's {@code minsz} for VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: {@code offsetofend(count)}. */
    public static final long MINSZ = count.end();
}
