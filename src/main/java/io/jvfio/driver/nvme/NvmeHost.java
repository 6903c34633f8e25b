package io.jvfio.driver.nvme;

import io.jvfio.Vfio;
import io.jvfio.abi.Arch;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where an NVMe controller for this driver is: on the kernel, the controllers sysfs shows bound to
 * vfio-pci (by PCI class 01:08); on the emulator, the seam where the emulated controller plugs in.
 */
public final class NvmeHost {
    static final Path PCI_DEVICES = Path.of("/sys/bus/pci/devices");

    private NvmeHost() {}

    /** An NVMe controller bound to vfio-pci: its IOMMU group and PCI address. */
    public record Location(int group, String address) {}

    /**
     * An emulated platform ({@code qemu-pseries-nvme}'s shape, ppc64le request numbers) with an NVMe
     * controller at {@link #emulatedLocation()} whose namespace is the raw image {@code image}
     * (512-byte blocks, the file's size is the namespace's): what the driver writes lands in the file.
     *
     * @param image an existing image file
     * @return a Vfio over that platform; closing it closes the image
     * @throws IllegalArgumentException if the image cannot be opened as a namespace
     */
    public static Vfio emulated(Path image) {
        return emulated(image, Arch.PPC64LE);
    }

    /**
     * As {@link #emulated(Path)}, decoding request numbers as {@code arch} encodes them.
     *
     * @param image an existing image file
     * @param arch the request-number encoding the emulator speaks
     * @return a Vfio over that platform
     */
    public static Vfio emulated(Path image, Arch arch) {
        return Vfio.over(new EmulatedBackend(emulatedProfile(image), arch));
    }

    /**
     * The profile {@link #emulated} runs: edu's group 0 and the controller's group, the namespace
     * {@code image}; a caller may change it (credentials, limits) before building its own backend.
     *
     * @param image an existing image file
     * @return the profile
     */
    public static Profile emulatedProfile(Path image) {
        Location at = emulatedLocation();
        return Profile.builder().name(Profile.QEMU_PSERIES_NVME)
                .group(0, DeviceSpec.edu("0000:00:00.0"))
                .group(at.group(), DeviceSpec.nvme(at.address(), image, 0))
                .build();
    }

    /**
     * Where {@link #emulated} puts the controller: a group of its own beside edu's group 0, as QEMU's
     * nvme on a second PHB appears in the project's guest.
     */
    public static Location emulatedLocation() {
        return new Location(1, "0001:00:00.0");
    }

    /** The NVMe controllers (PCI class 0x0108xx) bound to vfio-pci, sorted by address. */
    public static List<Location> kernelControllers() {
        return kernelControllers(PCI_DEVICES);
    }

    static List<Location> kernelControllers(Path devices) {
        List<Location> out = new ArrayList<>();
        if (!Files.isDirectory(devices)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(devices)) {
            for (Path d : ds) {
                if (isNvme(d) && "vfio-pci".equals(linkName(d.resolve("driver")))) {
                    String g = linkName(d.resolve("iommu_group"));
                    if (g != null) {
                        out.add(new Location(Integer.parseInt(g), d.getFileName().toString()));
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return out;
        }
        out.sort((a, b) -> a.address().compareTo(b.address()));
        return out;
    }

    /** The IOMMU group of the PCI device {@code address}, from sysfs. */
    public static Optional<Integer> kernelGroup(String address) {
        String g = linkName(PCI_DEVICES.resolve(address).resolve("iommu_group"));
        try {
            return g == null ? Optional.empty() : Optional.of(Integer.parseInt(g));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static boolean isNvme(Path device) {
        try {
            String cls = Files.readString(device.resolve("class")).strip().toLowerCase(Locale.ROOT);
            return cls.startsWith("0x0108");
        } catch (IOException e) {
            return false;
        }
    }

    private static String linkName(Path link) {
        try {
            return Files.readSymbolicLink(link).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
