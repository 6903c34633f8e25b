package io.jvfio.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.abi.Arch;
import io.jvfio.abi.Structs;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.scenario.ExitStatus;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvfio abi}: request numbers and struct sizes, as jvfio computes them. */
@Command(name = "abi",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Prints the VFIO ioctl numbers and struct sizes jvfio uses.",
            "%nEvery VFIO ioctl jvfio binds with its request number (lower-case hex), then every struct with its"
                    + " size in bytes, for one architecture. On ppc64le every number has bit 29 set (_IOC_NONE is 1"
                    + " there): VFIO_GET_API_VERSION is 0x20003b64 there and 0x3b64 on x86_64.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:printed", "2:bad command line (unknown architecture)"})
public final class AbiCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--arch", paramLabel = "x86_64|ppc64le|aarch64",
            description = "The architecture whose request numbers to print. Default: this host's.")
    String arch;

    @Option(names = "--json", description = "One JSON document: arch, ioctls (name -> number), structs (name -> size).")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Arch a;
        try {
            a = arch == null ? Arch.host() : Arch.parse(arch);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
                    + (arch == null ? "; pass --arch x86_64 or --arch ppc64le" : ""));
        }
        if (json) {
            ObjectNode root = Json.object();
            root.put("arch", a.id());
            ObjectNode ioctls = root.putObject("ioctls");
            for (VfioIoctl io : VfioIoctl.values()) {
                ioctls.put(io.name(), Integer.toUnsignedLong(io.request(a)));
            }
            ObjectNode structs = root.putObject("structs");
            for (Structs.Struct s : Structs.ALL) {
                structs.put(s.name(), s.size());
            }
            out.println(Json.pretty(root));
            return ExitStatus.OK;
        }
        out.println("arch " + a.id());
        for (VfioIoctl io : VfioIoctl.values()) {
            out.println(io.name() + " " + hex(io.request(a)));
        }
        for (Structs.Struct s : Structs.ALL) {
            out.println("struct " + s.name() + " " + s.size());
        }
        return ExitStatus.OK;
    }

    private static String hex(int request) {
        return "0x" + Integer.toHexString(request);
    }
}
