package io.jvfio.cli;

import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.GroupSpec;
import io.jvfio.emul.Profile;
import io.jvfio.scenario.ScenarioRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Turns {@link BackendOptions} into backends. Never silent: the choice, and why, goes to stderr.
 * The emulator is created fresh for each use (each scenario file starts from a fresh platform).
 */
final class Backends {
    /** The default emulator profile: the QEMU pseries guest of scenario-format.md. */
    static final String DEFAULT_PROFILE = "qemu-pseries";

    /** A chosen backend kind, able to make fresh instances. */
    record Choice(boolean emulated, String profile, String why) implements Supplier<VfioBackend> {
        @Override
        public VfioBackend get() {
            return emulated ? new EmulatedBackend(Profile.named(profile)) : new KernelBackend();
        }

        String label() {
            return emulated ? "emulated, profile " + profile : "kernel";
        }
    }

    private Backends() {}

    /**
     * Chooses per the options and says so on {@code err}.
     *
     * @throws CommandLine.ParameterException for an unknown profile or {@code --profile} with the kernel
     */
    static Choice choose(BackendOptions o, CommandLine cl, PrintWriter err) {
        if (o.profile != null && !Profile.names().contains(o.profile)) {
            throw new CommandLine.ParameterException(cl, "unknown profile '" + o.profile + "'; profiles: "
                    + String.join(", ", Profile.names()));
        }
        Choice c;
        if (o.backend == BackendOptions.Kind.kernel) {
            if (o.profile != null) {
                throw new CommandLine.ParameterException(cl, "--profile applies to the emulator; drop it or use --backend emulated");
            }
            c = new Choice(false, null, "--backend kernel");
        } else if (o.backend == BackendOptions.Kind.emulated) {
            c = new Choice(true, o.profile == null ? DEFAULT_PROFILE : o.profile, "--backend emulated");
        } else if (o.profile != null) {
            c = new Choice(true, o.profile, "--profile given");
        } else if (Files.exists(Path.of(ScenarioRunner.CONTAINER_PATH))) {
            c = new Choice(false, null, ScenarioRunner.CONTAINER_PATH + " exists; --backend emulated for the emulator");
        } else {
            c = new Choice(true, DEFAULT_PROFILE, "no " + ScenarioRunner.CONTAINER_PATH + " on this host; --backend kernel to insist");
        }
        err.println("jvfio: backend: " + c.label() + " (" + c.why() + ")");
        err.flush();
        return c;
    }

    /** The IOMMU groups of the platform: /dev/vfio/N on the kernel, the profile's on the emulator. */
    static List<Integer> groups(Choice c) {
        if (c.emulated()) {
            return Profile.named(c.profile()).groups().stream().map(GroupSpec::number).sorted().toList();
        }
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/dev/vfio"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]+"))
                    .map(Integer::valueOf).sorted().forEach(out::add);
        } catch (IOException e) {
            // no /dev/vfio: no groups
        }
        return out;
    }

    /** The devices of group {@code n}: /sys/kernel/iommu_groups/N/devices on the kernel, the profile's on the emulator. */
    static List<String> devices(Choice c, int group) {
        if (c.emulated()) {
            return Profile.named(c.profile()).groups().stream().filter(g -> g.number() == group)
                    .flatMap(g -> g.devices().stream()).map(DeviceSpec::pciAddress).toList();
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/sys/kernel/iommu_groups/" + group + "/devices"))) {
            s.map(p -> p.getFileName().toString()).sorted().forEach(out::add);
        } catch (IOException e) {
            // not readable: unknown
        }
        return out;
    }
}
