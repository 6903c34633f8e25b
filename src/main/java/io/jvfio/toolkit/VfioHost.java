package io.jvfio.toolkit;

import io.jvfio.Vfio;
import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a driver runs: the real kernel ({@link Vfio#kernel()}) or the in-process emulator
 * ({@link #emulated}). The caller chooses; nothing falls back from one to the other. The same driver
 * code runs on both; only the {@link Vfio} differs.
 */
public final class VfioHost {
    private VfioHost() {}

    /** The profile a driver's command line picks when none is named: QEMU's pseries defaults, like the project's guest. */
    public static final String DEFAULT_PROFILE = Profile.QEMU_PSERIES;

    /** True when {@code /dev/vfio/N} exists: the kernel has that group bound to vfio. */
    public static boolean kernelHasGroup(int group) {
        return Files.exists(Path.of("/dev/vfio/" + group));
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
     * The PCI addresses of the devices in group {@code group}, as the backend reports them
     * ({@link VfioBackend#groupDevices}): sorted; empty when unknown.
     */
    public static List<String> devices(Vfio vfio, int group) {
        return vfio.backend().groupDevices(group);
    }

    /** The first device of {@code group}, or {@code 0000:00:00.0} when none is known. */
    public static String firstDevice(Vfio vfio, int group) {
        List<String> d = devices(vfio, group);
        return d.isEmpty() ? "0000:00:00.0" : d.getFirst();
    }
}
