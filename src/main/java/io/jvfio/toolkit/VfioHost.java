package io.jvfio.toolkit;

import io.jvfio.Vfio;
import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.GroupSpec;
import io.jvfio.emul.Profile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a driver runs: the real kernel when this host has VFIO groups, the in-process emulator
 * otherwise. The same driver code runs on both; only the {@link Vfio} differs.
 */
public final class VfioHost {
    private VfioHost() {}

    /** The profile used when no kernel VFIO group exists: QEMU's pseries defaults, like the project's guest. */
    public static final String DEFAULT_PROFILE = Profile.QEMU_PSERIES;

    /** True when {@code /dev/vfio/N} exists: the kernel has that group bound to vfio. */
    public static boolean kernelHasGroup(int group) {
        return Files.exists(Path.of("/dev/vfio/" + group));
    }

    /**
     * The kernel when {@code /dev/vfio/0} exists (inside the guest), else the emulator with
     * {@value #DEFAULT_PROFILE}.
     */
    public static Vfio kernelOrEmulated() {
        return kernelHasGroup(0) ? Vfio.kernel() : emulated(DEFAULT_PROFILE);
    }

    /** An emulated platform by profile name ({@code qemu-pseries}, {@code sriov-vf}, {@code no-ddw}, ...). */
    public static Vfio emulated(String profile) {
        return emulated(Profile.named(profile));
    }

    /** An emulated platform of any shape ({@link Profile#builder()}). */
    public static Vfio emulated(Profile profile) {
        return Vfio.over(new EmulatedBackend(profile));
    }

    /**
     * The PCI addresses of the devices in group {@code group}: from the emulator's profile, or from
     * {@code /sys/kernel/iommu_groups/N/devices} on the kernel. Sorted; empty when unknown.
     */
    public static List<String> devices(Vfio vfio, int group) {
        VfioBackend b = vfio.backend();
        List<String> out = new ArrayList<>();
        if (b instanceof EmulatedBackend e) {
            GroupSpec g = e.profile().group(group);
            if (g != null) {
                for (DeviceSpec d : g.devices()) {
                    out.add(d.pciAddress());
                }
            }
        } else {
            Path dir = Path.of("/sys/kernel/iommu_groups", Integer.toString(group), "devices");
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    ds.forEach(p -> out.add(p.getFileName().toString()));
                } catch (IOException e) {
                    return List.of();
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** The first device of {@code group}, or {@code 0000:00:00.0} when none is known. */
    public static String firstDevice(Vfio vfio, int group) {
        List<String> d = devices(vfio, group);
        return d.isEmpty() ? "0000:00:00.0" : d.getFirst();
    }
}
