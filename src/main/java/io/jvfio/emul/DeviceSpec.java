package io.jvfio.emul;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One device of an emulated IOMMU group.
 *
 * @param pciAddress the vfio device name, {@code DDDD:BB:DD.F} (e.g. {@code 0000:00:00.0})
 * @param kind the device model
 * @param dmaMask edu's {@code dma_mask} property: every DMA bus address is ANDed with it.
 *     QEMU's default is {@link #EDU_DEFAULT_DMA_MASK}; the observed guest ran with all ones
 *     ({@code -device edu,dma_mask=0xffffffffffffffff}), which a window at {@code 1 << 59} needs.
 */
public record DeviceSpec(String pciAddress, DeviceKind kind, long dmaMask) {
    /** QEMU's default edu {@code dma_mask}: 28 bits. */
    public static final long EDU_DEFAULT_DMA_MASK = (1L << 28) - 1;

    private static final Pattern PCI = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");

    public DeviceSpec {
        Objects.requireNonNull(pciAddress, "pciAddress");
        Objects.requireNonNull(kind, "kind");
        if (!PCI.matcher(pciAddress).matches()) {
            throw new IllegalArgumentException("PCI address must look like 0000:00:00.0, got '" + pciAddress + "'");
        }
    }

    /** An edu device with the observed guest's {@code dma_mask=0xffffffffffffffff}. */
    public static DeviceSpec edu(String pciAddress) {
        return new DeviceSpec(pciAddress, DeviceKind.EDU, -1L);
    }

    /** An edu device with an explicit {@code dma_mask}. */
    public static DeviceSpec edu(String pciAddress, long dmaMask) {
        return new DeviceSpec(pciAddress, DeviceKind.EDU, dmaMask);
    }

    /** The PCI domain, which on pSeries is the PHB index. */
    public int domain() {
        return Integer.parseInt(pciAddress.substring(0, 4), 16);
    }
}
