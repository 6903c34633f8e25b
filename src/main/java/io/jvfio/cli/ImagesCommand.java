package io.jvfio.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestSetup;
import io.jvfio.harness.GuestUnavailableException;
import io.jvfio.harness.ImageScripts;
import io.jvfio.scenario.ExitStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvfio images}: builds or checks the guest images, with the script {@code make images} runs. */
@Command(name = "images",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Builds the pSeries guest images into the cache, or checks that they are current.",
            "%nRuns qemu-images/build.sh (packaged in this jar; the same script 'make images' runs): the kernel,"
                    + " busybox and a ppc64le JDK from Debian's packages, pinned in versions.lock, into"
                    + " ${JVFIO_CACHE:-~/.cache/jvfio}/images. When its stamps say everything is current it only checks."
                    + " Progress goes to stderr; stdout gets the summary.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the images are there and current",
            "2:bad command line",
            "3:the build failed"})
public final class ImagesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kernel", paramLabel = "SERIES", defaultValue = GuestSetup.DEFAULT_KERNEL,
            description = "The guest kernel: 6.12 (default, bookworm-backports), newest (forky's, resolved when built) or 6.1"
                    + " (bookworm's, before VFIO SPAPR worked in pSeries guests).")
    String kernel;

    @Option(names = "--refresh", description = "Re-read Debian's package indexes now (build.sh --refresh).")
    boolean refresh;

    @Option(names = "--page-size", paramLabel = "SIZE", defaultValue = "4k",
            description = "Also build the 64 KiB-page flavour with 64k (build.sh --with-64k); default 4k.")
    String pageSize;

    @Option(names = "--offline", description = "Never touch the network (build.sh --offline).")
    boolean offline;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        GuestImages.Flavour flavour;
        try {
            flavour = new GuestSetup(kernel, List.of(), 1, "2G", java.time.Duration.ofMinutes(1),
                    GuestImages.Flavour.named(pageSize)).flavour();
        } catch (IllegalArgumentException e) {
            err.println("jvfio images: " + e.getMessage());
            return ExitStatus.SYNTAX;
        }
        List<String> extra = new ArrayList<>();
        if (refresh) {
            extra.add("--refresh");
        }
        if (offline) {
            extra.add("--offline");
        }
        try {
            GuestImages.build(kernel, flavour, extra);
        } catch (GuestUnavailableException e) {
            err.println("jvfio images: " + e.getMessage());
            return ExitStatus.UNAVAILABLE;
        }
        GuestImages images = GuestImages.forKernel(kernel);
        String missing = images.missing(flavour).orElse(null);
        // versions.lock: the guest image's packages, then (after a marker) those of the nested L1 image
        List<String> packages = images.versions().lines().takeWhile(l -> !l.startsWith("# --- nested"))
                .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        if (json) {
            ObjectNode o = Json.object();
            o.put("kernel", kernel);
            o.put("page_size", flavour.pageSize());
            o.put("dir", images.dir().toString());
            o.put("scripts", ImageScripts.dir().toString());
            o.put("ready", missing == null);
            packages.forEach(o.putArray("packages")::add);
            out.println(Json.pretty(o));
        } else {
            out.println(missing == null ? "guest images (kernel " + kernel + ") ready in " + images.dir() : missing);
            packages.forEach(l -> out.println("  " + l));
        }
        out.flush();
        return missing == null ? ExitStatus.OK : ExitStatus.UNAVAILABLE;
    }
}
