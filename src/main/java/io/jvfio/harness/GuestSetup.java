package io.jvfio.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The guest a downstream user asks for, in the words of {@code jvfio guest} and {@code @PseriesGuest}:
 * a kernel and its page size, devices spread over PHBs, memory and a time bound. {@link #machine()}
 * turns it into the {@link GuestMachine} the launchers boot.
 *
 * @param kernel the kernel series ({@link #KERNELS})
 * @param devices the PCI devices, in order; device {@code i} sits on PHB {@code i % phbs}, so each PHB
 *     (one IOMMU group on pSeries) holds its share, unless it names its PHB ({@link DeviceSpec#phbIndex()})
 * @param phbs how many PHBs (at least 1)
 * @param memory the guest RAM, e.g. {@code 2G}
 * @param timeout the bound on the whole boot
 * @param flavour the kernel's page size: Debian's {@code -powerpc64le} (4 KiB) or {@code -powerpc64le-64k}
 *     flavour of {@code kernel} (6.12 and newest; bookworm's 6.1 comes in one flavour only)
 */
public record GuestSetup(String kernel, List<DeviceSpec> devices, int phbs, String memory, Duration timeout,
        GuestImages.Flavour flavour) {
    /**
     * The kernel choices ({@code qemu-images/build.sh --kernel}): bookworm-backports' 6.12, forky's newest
     * (resolved when built) and bookworm's 6.1 (before the VFIO SPAPR series: jvfio reports why it cannot work).
     */
    public static final List<String> KERNELS = List.of("6.12", "newest", "6.1");
    /** The default kernel choice: the one the emulator models. */
    public static final String DEFAULT_KERNEL = "6.12";

    /** A guest of the 4 KiB-page flavour. */
    public GuestSetup(String kernel, List<DeviceSpec> devices, int phbs, String memory, Duration timeout) {
        this(kernel, devices, phbs, memory, timeout, GuestImages.Flavour.K4);
    }

    public GuestSetup {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(flavour, "flavour");
        devices = List.copyOf(devices);
        if (!KERNELS.contains(kernel)) {
            throw new IllegalArgumentException("unknown kernel '" + kernel + "' (one of " + String.join(", ", KERNELS) + ")");
        }
        if (kernel.equals("6.1") && flavour != GuestImages.Flavour.K4) {
            throw new IllegalArgumentException("bookworm's 6.1 comes in one flavour only (powerpc64le): no --page-size 64k");
        }
        if (phbs < 1 || phbs > 16) {
            throw new IllegalArgumentException("phbs must be 1..16: " + phbs);
        }
        for (DeviceSpec d : devices) {
            if (d.phbIndex() >= phbs) {
                throw new IllegalArgumentException("a " + d.kind() + " names PHB " + d.phbIndex() + " but the guest has "
                        + phbs + " PHB(s) (0.." + (phbs - 1) + "): give more PHBs");
            }
        }
        if (!memory.matches("[1-9][0-9]*[MG]")) {
            throw new IllegalArgumentException("memory must be a size like 2G or 1536M: '" + memory + "'");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    /**
     * The images of {@link #kernel()} in {@link #flavour()}, built first when missing ({@link GuestImages#ensure(String, GuestImages.Flavour)}).
     *
     * @throws GuestUnavailableException when they cannot be built
     */
    public GuestImages images() {
        return GuestImages.ensure(kernel, flavour());
    }

    /** The machine: the defaults of {@link GuestMachine}, with exactly these PHBs and devices. */
    public GuestMachine machine() {
        List<String> args = new ArrayList<>();
        for (int i = 1; i < phbs; i++) {
            args.addAll(List.of("-device", "spapr-pci-host-bridge,index=" + i + ",id=phb" + i));
        }
        for (int i = 0; i < devices.size(); i++) {
            int phb = devices.get(i).phbIndex() >= 0 ? devices.get(i).phbIndex() : i % phbs;
            // With more PHBs QEMU's default bus is the last PHB's: PHB 0's own bus (pci.0) is named.
            args.addAll(devices.get(i).qemuArgs(phb != 0 ? "phb" + phb + ".0" : phbs > 1 ? "pci.0" : null));
        }
        return GuestMachine.builder().edu(false).memory(memory).timeout(timeout).flavour(flavour())
                .extraArgs(args.toArray(String[]::new)).build();
    }
}
