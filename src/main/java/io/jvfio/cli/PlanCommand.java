package io.jvfio.cli;

import io.jvfio.scenario.ExitStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/** {@code jvfio plan}: placeholder, to be filled in. */
@Command(name = "plan",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Plans DMA windows for a workload.",
            "%nThe page size, window size and levels the platform accepts for the memory to map.",
            "%n(Not yet implemented in this build.)%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"2:not yet implemented"})
public final class PlanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Unmatched
    java.util.List<String> args;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jvfio plan: not yet implemented");
        return ExitStatus.SYNTAX;
    }
}
