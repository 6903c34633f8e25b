package io.jvfio.cli;

import io.jvfio.scenario.ExitStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code jvfio demo}: placeholder, to be filled in. */
@Command(name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Demonstrates jvfio end to end, on the kernel or the emulator.",
            "%nAttaches the edu device, creates a DMA window, maps memory and lets the device copy through it.",
            "%n(Not yet implemented in this build.)%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"2:not yet implemented"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Unmatched
    java.util.List<String> args;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jvfio demo: not yet implemented");
        return ExitStatus.SYNTAX;
    }
}
