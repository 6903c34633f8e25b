package io.jvfio.cli;

import io.jvfio.scenario.ExitStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code jvfio diff}: placeholder, to be filled in. */
@Command(name = "diff",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Runs a scenario on the kernel and on the emulator and compares them.",
            "%nReports every step whose results differ.",
            "%n(Not yet implemented in this build.)%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"2:not yet implemented"})
public final class DiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Unmatched
    java.util.List<String> args;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jvfio diff: not yet implemented");
        return ExitStatus.SYNTAX;
    }
}
