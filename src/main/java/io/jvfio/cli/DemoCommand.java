package io.jvfio.cli;

import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.demo.DemoFlow;
import io.jvfio.scenario.ExitStatus;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvfio demo}: the main job behind {@code make run}, a complete driver flow on an edu device. */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Runs a complete userspace-driver flow on QEMU's edu device and verifies the DMA byte for byte.",
            "%nSets up a container, chooses a DMA window (a 64-bit DDW when the platform offers one), registers and "
                    + "maps memory, lets the device copy through the window, checks a negative control (DMA to an "
                    + "unmapped IOVA changes nothing) and tears everything down. Prints a report ending in 'demo: OK'.",
            "%nBackend: the kernel when /dev/vfio/vfio exists, else the emulated qemu-pseries profile with edu.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:demo: OK", "1:a step failed (the message names it and what to do)",
            "3:/dev/vfio/vfio or the group could not be opened"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    BackendOptions backend = new BackendOptions();

    @Option(names = "--group", paramLabel = "N", description = "IOMMU group (default: 0).")
    int group = 0;

    @Option(names = "--device", paramLabel = "ADDR",
            description = "PCI address of the edu device (default: the group's first device).")
    String device;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        Backends.Choice choice = Backends.choose(backend, spec.commandLine(), err);
        List<String> devices = Backends.devices(choice, group);
        String addr = device != null ? device : devices.isEmpty() ? "0000:00:00.0" : devices.get(0);
        var out = spec.commandLine().getOut();
        try (Vfio vfio = Vfio.over(choice.get())) {
            new DemoFlow(vfio, group, addr, out).run();
            return ExitStatus.OK;
        } catch (io.jvfio.VfioUnavailableException | io.jvfio.VfioPermissionException e) {
            out.flush();
            err.println(Backends.failure(spec, choice, e));
            return ExitStatus.UNAVAILABLE;
        } catch (VfioException e) {
            out.flush();
            err.println(Backends.failure(spec, choice, e));
            return ExitStatus.MISMATCH;
        }
    }
}
