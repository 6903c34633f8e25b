package io.jvfio.emul;

import java.nio.file.Path;
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
 * @param image an NVMe namespace's raw image file ({@code -drive file=IMG,format=raw}), or null for
 *     a namespace in memory; what the driver writes lands there
 * @param namespaceBytes an NVMe namespace's size: of the memory, or of the image when it is created
 *     (0 for an existing image, whose size is the namespace's)
 */
public record DeviceSpec(String pciAddress, DeviceKind kind, long dmaMask, Path image, long namespaceBytes) {
    /** QEMU's default edu {@code dma_mask}: 28 bits. */
    public static final long EDU_DEFAULT_DMA_MASK = (1L << 28) - 1;

    private static final Pattern PCI = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");

    public DeviceSpec {
        Objects.requireNonNull(pciAddress, "pciAddress");
        Objects.requireNonNull(kind, "kind");
        if (!PCI.matcher(pciAddress).matches()) {
            throw new IllegalArgumentException("PCI address must look like 0000:00:00.0, got '" + pciAddress + "'");
        }
        if (namespaceBytes < 0 || namespaceBytes % NVME_BLOCK != 0) {
            throw new IllegalArgumentException("an NVMe namespace is a whole number of " + NVME_BLOCK
                    + "-byte blocks: " + namespaceBytes + " bytes");
        }
        if (kind == DeviceKind.NVME && image == null && namespaceBytes == 0) {
            throw new IllegalArgumentException("an NVMe device needs an image file or a namespace size");
        }
    }

    /** A device without a namespace (edu). */
    public DeviceSpec(String pciAddress, DeviceKind kind, long dmaMask) {
        this(pciAddress, kind, dmaMask, null, 0);
    }

    /** The NVMe namespace's block size, as QEMU's default {@code logical_block_size}. */
    public static final int NVME_BLOCK = 512;

    /** An edu device with the observed guest's {@code dma_mask=0xffffffffffffffff}. */
    public static DeviceSpec edu(String pciAddress) {
        return new DeviceSpec(pciAddress, DeviceKind.EDU, -1L);
    }

    /** An edu device with an explicit {@code dma_mask}. */
    public static DeviceSpec edu(String pciAddress, long dmaMask) {
        return new DeviceSpec(pciAddress, DeviceKind.EDU, dmaMask);
    }

    /** An NVMe controller whose namespace lives in memory ({@code bytes}, a multiple of 512). */
    public static DeviceSpec nvme(String pciAddress, long bytes) {
        return new DeviceSpec(pciAddress, DeviceKind.NVME, -1L, null, bytes);
    }

    /**
     * An NVMe controller whose namespace is the raw image {@code image}: its size is the namespace's;
     * when the file does not exist it is created with {@code createBytes} (0: it must exist).
     */
    public static DeviceSpec nvme(String pciAddress, Path image, long createBytes) {
        return new DeviceSpec(pciAddress, DeviceKind.NVME, -1L, Objects.requireNonNull(image, "image"), createBytes);
    }

    /** The PCI domain, which on pSeries is the PHB index. */
    public int domain() {
        return Integer.parseInt(pciAddress.substring(0, 4), 16);
    }
}
