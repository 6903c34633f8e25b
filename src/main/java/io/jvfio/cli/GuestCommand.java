package io.jvfio.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.harness.ConsoleArchive;
import io.jvfio.harness.ConsoleLine;
import io.jvfio.harness.DeviceSpec;
import io.jvfio.harness.GuestCommandRun;
import io.jvfio.harness.GuestException;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestKernelProblemException;
import io.jvfio.harness.GuestLauncher;
import io.jvfio.harness.GuestLaunchers;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestSetup;
import io.jvfio.harness.GuestTimeoutException;
import io.jvfio.harness.GuestUnavailableException;
import io.jvfio.scenario.ExitStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvfio guest}: one command in a fresh pSeries guest (QEMU TCG, the real kernel). */
@Command(name = "guest",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Boots a fresh QEMU pSeries guest (ppc64le, TCG: works on any host) and runs 'jvfio ARGS...' inside it.",
            "%nThe guest's /init binds every PCI device to vfio-pci; the command runs in a working directory that"
                    + " holds the --ship'ped files (and this jar), and its stdout and stderr are printed here. A kernel"
                    + " Oops, BUG or WARNING is printed and fails the run. The first use builds the guest images into"
                    + " the cache (${JVFIO_CACHE:-~/.cache/jvfio}) from Debian's packages, as 'make images' does.%n",
            "Examples:",
            "  jvfio guest -- info --json",
            "  jvfio guest --device edu -- demo",
            "  jvfio guest --ship my.scn -- run my.scn",
            "  jvfio guest --device edu --ship app.jar --shell-command '$JAVA -jar app.jar'%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "N:the guest command's own exit status (0 when it succeeded)",
            "2:bad command line (nothing booted)",
            "3:the guest cannot boot here: no QEMU, no Docker, the images cannot be built",
            "123:the guest kernel logged an Oops, BUG, WARNING or panic (the lines are printed)",
            "124:the guest did not finish within --timeout (killed; the console's tail is printed)",
            "125:the guest ended before the command did (it died; the console's tail is printed)"})
public final class GuestCommand implements Callable<Integer> {
    static final int KERNEL_PROBLEM = 123;
    static final int TIMEOUT = 124;
    static final int DIED = 125;
    private static final int TAIL = 30;

    @Spec
    CommandSpec spec;

    @Option(names = "--kernel", paramLabel = "SERIES", defaultValue = GuestSetup.DEFAULT_KERNEL,
            description = "The guest kernel: 6.12 (default, bookworm-backports), newest (forky's, resolved when built) or 6.1"
                    + " (bookworm's, before VFIO SPAPR worked in pSeries guests).")
    String kernel;

    @Option(names = "--page-size", paramLabel = "SIZE", defaultValue = "4k",
            description = "The kernel's page size: 4k (default, Debian's -powerpc64le) or 64k (its -powerpc64le-64k,"
                    + " as RHEL and SLES on POWER run); 6.12 and newest.")
    String pageSize;

    @Option(names = "--device", paramLabel = "SPEC",
            description = "A PCI device for the guest (repeatable): edu[,dma_mask=M][,phb=N][,function=F][,multifunction=on], or"
                    + " nvme,image=FILE[,phb=N][,function=F][,multifunction=on] (a raw image on the host backing the"
                    + " namespace: what the guest writes lands there). Devices go round-robin onto the PHBs unless they"
                    + " name one; several functions on one PHB (edu or nvme, multifunction=on on each) are one"
                    + " multi-function device in one IOMMU group.")
    List<String> devices = new ArrayList<>();

    @Option(names = "--phbs", paramLabel = "N", defaultValue = "1",
            description = "PCI host bridges (each one IOMMU group); default ${DEFAULT-VALUE}.")
    int phbs;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "2G", description = "Guest RAM; default ${DEFAULT-VALUE}.")
    String memory;

    @Option(names = "--ship", paramLabel = "PATH",
            description = "A host file or directory to put in the guest's working directory under its name (repeatable).")
    List<Path> ship = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Kill the guest after this long; default ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--launcher", paramLabel = "NAME", defaultValue = "host",
            description = "Where QEMU runs: host (a child process) or testcontainers (a local Docker image; needs"
                    + " Testcontainers on the classpath). Default ${DEFAULT-VALUE}.")
    String launcher;

    @Option(names = "--json", description = "Print one JSON object: exit status, stdout, stderr, kernel problems, timing.")
    boolean json;

    @Option(names = "--shell-command", paramLabel = "CMD",
            description = "Run this shell command in the guest instead of jvfio ('jvfio' and $JAVA work in it).")
    String shellCommand;

    @Parameters(paramLabel = "ARGS", arity = "0..*", description = "The jvfio command line to run in the guest (after --).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((shellCommand == null) == args.isEmpty()) {
            err.println("jvfio guest: give either a jvfio command after -- or --shell-command CMD (see 'jvfio guest --help')");
            return ExitStatus.SYNTAX;
        }
        keepConsolesInCache();
        GuestSetup setup;
        GuestLauncher l;
        GuestRun run;
        try {
            setup = new GuestSetup(kernel, devices.stream().map(DeviceSpec::parse).toList(), phbs, memory,
                    Duration.ofSeconds(timeoutSeconds), GuestImages.Flavour.named(pageSize));
            l = GuestLaunchers.byName(launcher);
            Path jar = GuestCommandRun.jar();
            run = shellCommand != null ? GuestCommandRun.shell(jar, ship, shellCommand) : GuestCommandRun.jvfio(jar, ship, args);
        } catch (IllegalArgumentException e) {
            err.println("jvfio guest: " + e.getMessage());
            return ExitStatus.SYNTAX;
        } catch (GuestUnavailableException e) {
            err.println("jvfio guest: " + e.getMessage());
            return ExitStatus.UNAVAILABLE;
        }
        try {
            GuestImages images = setup.images();
            l.unavailableReason(setup.machine()).ifPresent(reason -> {
                throw new GuestUnavailableException(reason);
            });
            GuestResult r = l.run(setup.machine(), images, run);
            GuestCommandRun.Output o = GuestCommandRun.output(r);
            report(out, err, o.stdout(), o.stderr(), o.exitStatus(), List.of(), r, null);
            return o.exitStatus();
        } catch (GuestKernelProblemException e) {
            GuestResult r = e.result().orElseThrow();
            GuestCommandRun.Output o = GuestCommandRun.output(r);
            report(out, err, o.stdout(), o.stderr(), o.exitStatus(), e.problems(), r,
                    "the guest kernel logged " + e.problems().size() + " problem(s)");
            return KERNEL_PROBLEM;
        } catch (GuestTimeoutException e) {
            return failed(out, err, e, TIMEOUT, "the guest did not finish within " + timeoutSeconds + " s and was killed");
        } catch (GuestUnavailableException e) {
            err.println("jvfio guest: " + e.getMessage());
            return ExitStatus.UNAVAILABLE;
        } catch (GuestException e) {
            return failed(out, err, e, DIED, "the guest ended before the command did");
        }
    }

    /** Outside a checkout the consoles go to the cache, not to ./target of wherever the user stands. */
    static void keepConsolesInCache() {
        if (System.getProperty("jvfio.guest.consoleDir") == null && System.getProperty("jvfio.project.dir") == null) {
            System.setProperty("jvfio.guest.consoleDir", GuestImages.cacheDir().resolve("console").toString());
        }
    }

    private int failed(PrintWriter out, PrintWriter err, GuestException e, int status, String what) {
        GuestResult r = e.result().orElse(null);
        if (r == null) {
            err.println("jvfio guest: " + e.getMessage());
            return status;
        }
        List<String> problems = r.kernelProblems(List.of());
        report(out, err, "", "", status, problems, r, what);
        return status;
    }

    private void report(PrintWriter out, PrintWriter err, String stdout, String stderr, int status, List<String> problems,
            GuestResult r, String failure) {
        Path console = ConsoleArchive.save(r, failure);
        // the problems carry their own context; a tail is for the runs that just stopped
        List<String> tail = failure == null || !problems.isEmpty() ? List.of()
                : r.lines().subList(Math.max(0, r.lines().size() - TAIL), r.lines().size()).stream().map(ConsoleLine::text).toList();
        if (json) {
            ObjectNode o = Json.object();
            o.put("exitStatus", status);
            o.put("stdout", stdout);
            o.put("stderr", stderr);
            problems.forEach(o.putArray("kernelProblems")::add);
            if (failure != null) {
                o.put("failure", failure);
                tail.forEach(o.putArray("consoleTail")::add);
            }
            o.put("kernel", kernel);
            o.put("launcher", r.launcher());
            o.put("seconds", r.timing().total().toMillis() / 1000.0);
            o.put("console", console.toString());
            out.println(Json.pretty(o));
            out.flush();
            return;
        }
        out.print(stdout);
        out.flush();
        err.print(stderr);
        if (failure != null) {
            err.println("jvfio guest: " + failure + " (console: " + console + ")");
            problems.forEach(p -> err.println("  " + p));
            if (!tail.isEmpty()) {
                err.println("--- the console's last " + tail.size() + " lines ---");
                tail.forEach(err::println);
            }
        }
        err.flush();
    }
}
