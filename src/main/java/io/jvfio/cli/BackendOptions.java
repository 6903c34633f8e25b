package io.jvfio.cli;

import picocli.CommandLine.Option;

/** {@code --backend} and {@code --profile}, shared by the commands that talk to VFIO. */
public final class BackendOptions {
    /** Which seam implementation. */
    public enum Kind { kernel, emulated }

    @Option(names = "--backend", paramLabel = "kernel|emulated",
            description = "The real kernel (through /dev/vfio) or the in-process emulator. Default: kernel when "
                    + "/dev/vfio/vfio exists, else emulated (the choice is printed on stderr).")
    Kind backend;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "The emulator's platform profile (implies --backend emulated). Default: qemu-pseries. "
                    + "Profiles: qemu-pseries, qemu-pseries-2phb, sriov-vf, no-ddw, big-window, qemu-pseries-topology"
                    + " (groups 0 and 1 on two PHBs, a three-function edu in group 2), qemu-pseries-topology-nvme (that plus"
                    + " a two-function NVMe in group 3). A scenario's #%% platform line"
                    + " picks the profile for that file.")
    String profile;
}
