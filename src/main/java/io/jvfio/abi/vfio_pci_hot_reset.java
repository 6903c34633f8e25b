package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;

/** {@code struct vfio_pci_hot_reset}: VFIO_DEVICE_PCI_HOT_RESET; {@code group_fds[]} ({@code __s32}) follows at {@link #SIZE}. */
public final class vfio_pci_hot_reset {
    private vfio_pci_hot_reset() {}

    public static final GroupLayout LAYOUT = MemoryLayout.structLayout(
            Ctypes.u32("argsz"), Ctypes.u32("flags"), Ctypes.u32("count")).withName("vfio_pci_hot_reset");

    public static final long SIZE = LAYOUT.byteSize();
    public static final U32 argsz = U32.of(LAYOUT, "argsz");
    public static final U32 flags = U32.of(LAYOUT, "flags");
    public static final U32 count = U32.of(LAYOUT, "count");

    /** The kernel's {@code minsz} for VFIO_DEVICE_PCI_HOT_RESET: {@code offsetofend(count)}. */
    public static final long MINSZ = count.end();
}
