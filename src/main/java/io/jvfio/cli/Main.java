package io.jvfio.cli;

import io.jvfio.scenario.ExitStatus;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jvfio}: the command line. The jar's Main-Class. */
@Command(name = "jvfio",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Userspace VFIO SPAPR TCE (IBM POWER) from Java: run scenarios against the kernel or the emulator,"
                    + " inspect the ABI, the platform, and what its DMA windows really allow."},
        subcommands = {
            RunCommand.class, DiffCommand.class, InfoCommand.class, ProbeCommand.class, AbiCommand.class,
            DemoCommand.class, PlanCommand.class, NvmeCommand.class, GuestCommand.class, ImagesCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:a scenario step did not match its EXPECT (run), or the command's check failed",
            "2:bad command line, or a scenario syntax error (nothing ran)",
            "3:a file, /dev/vfio/vfio or an IOMMU group could not be opened",
            "4:the emulator met a call on which the real kernel oopses (KERNEL-BUG)",
            "5:internal error in jvfio (please report it with the command line)"},
        footer = {"%nRun 'jvfio COMMAND --help' for a command's options.",
            "The scenario language: docs/scenario-format.md in the jvfio repository (scenarios/*.scn for examples)."})
public final class Main implements Callable<Integer> {
    /** The version printed by {@code --version}. */
    public static final String VERSION = "0.1.0-SNAPSHOT";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("jvfio: no command given; try 'jvfio run FILE', or 'jvfio --help' for the list");
        return ExitStatus.SYNTAX;
    }

    /** {@code --version} for every command. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "jvfio " + VERSION,
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
        }
    }

    /** The configured command line: one-line errors, exit statuses as documented. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(c.getCommandName().equals("jvfio") ? "jvfio: " + ex.getMessage() + " (see 'jvfio --help')"
                    : "jvfio " + c.getCommandName() + ": " + ex.getMessage() + " (see 'jvfio " + c.getCommandName() + " --help')");
            return ExitStatus.SYNTAX;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("jvfio " + c.getCommandName() + ": internal error: " + ex
                    + " (please report it, with the command line, to the jvfio maintainers)");
            if (Boolean.getBoolean("jvfio.debug")) {
                ex.printStackTrace(c.getErr());
            }
            return ExitStatus.INTERNAL;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
