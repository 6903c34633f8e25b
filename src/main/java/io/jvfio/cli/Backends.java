package io.jvfio.cli;

import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.GroupSpec;
import io.jvfio.emul.Profile;
import io.jvfio.scenario.ProcessSpec;
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
import picocli.CommandLine.Model.CommandSpec;

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

        /**
         * A fresh backend for a file that states its process ({@code #%}): the emulator configured so;
         * on the kernel, the process as it is (the runner applies what it can: {@link ProcessApplier}).
         * A file that names its platform ({@code #% platform}) runs on that profile; the kernel's machine is as booted.
         */
        VfioBackend get(ProcessSpec process, String platform) {
            return emulated ? new EmulatedBackend(process.applyTo(Profile.named(platform != null ? platform : profile)))
                    : new KernelBackend();
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

    /**
     * The line for a VFIO that cannot be opened. On the kernel it says what to load and repeats the
     * user's own command line with {@code --backend emulated}, so the suggestion parses as given.
     */
    static String unavailable(CommandSpec spec, boolean emulated, String message) {
        String line = "jvfio " + spec.name() + ": " + message;
        return emulated ? line + " (a jvfio bug: the emulator always has a container)"
                : line + "; load vfio (modprobe vfio-pci vfio_iommu_spapr_tce) and run as root, or use the emulator: "
                        + emulatedInstead(spec);
    }

    /** The line for a failure of the public API; without a container node, the same command on the emulator. */
    static String failure(CommandSpec spec, Choice c, io.jvfio.VfioException e) {
        boolean noVfio = e instanceof io.jvfio.VfioUnavailableException && e.errno() == io.jvfio.backend.Errno.ENOENT
                && e.operation().contains(ScenarioRunner.CONTAINER_PATH);
        String line = "jvfio " + spec.name() + ": " + e.getMessage();
        return noVfio && !c.emulated() ? line + "; or use the emulator: " + emulatedInstead(spec) : line;
    }

    /** The command line as typed, with the kernel backend replaced by the emulator. */
    static String emulatedInstead(CommandSpec spec) {
        List<String> args = new ArrayList<>(spec.root().commandLine().getParseResult().originalArgs());
        boolean replaced = false;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--backend=kernel")) {
                args.set(i, "--backend=emulated");
                replaced = true;
            } else if (args.get(i).equals("--backend") && i + 1 < args.size() && args.get(i + 1).equals("kernel")) {
                args.set(i + 1, "emulated");
                replaced = true;
            }
        }
        if (!replaced) {
            args.add(args.indexOf(spec.name()) + 1, "--backend");
            args.add(args.indexOf(spec.name()) + 2, "emulated");
        }
        StringBuilder b = new StringBuilder("jvfio");
        for (String a : args) {
            b.append(' ').append(a.matches("[A-Za-z0-9_./:=+,@%-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** What to check when group {@code n} cannot be opened: host steps on the kernel, the profile's groups on the emulator. */
    static String groupAdvice(VfioBackend backend, int group) {
        if (backend instanceof EmulatedBackend e) {
            return "the emulated profile " + e.profile().name() + " has the groups "
                    + e.profile().groups().stream().map(GroupSpec::number).sorted().toList() + " (see jvfio info)";
        }
        return "check /dev/vfio/" + group + ", that its devices are bound to vfio-pci and that no other process holds it";
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
