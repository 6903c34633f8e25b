package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.fail;

import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestLauncher;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.GuestSetup;
import io.jvfio.harness.GuestTestRun;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * What the host-side guest tests share: the {@code jvfio.guest} mode ({@code auto}: skip visibly when
 * something is missing; {@code required}: fail; {@code off}), the launcher selection
 * ({@code jvfio.guest.launchers}) and the project directory.
 */
final class GuestSupport {
    private GuestSupport() {}

    static Path projectDir() {
        return Path.of(System.getProperty("jvfio.project.dir", "."));
    }

    static String mode() {
        return System.getProperty("jvfio.guest", "auto").strip().toLowerCase(Locale.ROOT);
    }

    /** The guest kernel choice the guest tests boot: {@code -Djvfio.guest.kernel} (6.12 by default). */
    static String kernel() {
        return System.getProperty("jvfio.guest.kernel", GuestSetup.DEFAULT_KERNEL).strip();
    }

    /**
     * The page-size flavour the guest tests boot: {@code -Djvfio.guest.pageSize} = {@code 4k} (default,
     * Debian's -powerpc64le) or {@code 64k} (its -powerpc64le-64k, {@code build.sh --with-64k}).
     */
    static GuestImages.Flavour flavour() {
        return GuestImages.Flavour.named(System.getProperty("jvfio.guest.pageSize", "4k"));
    }

    /** The name of this run's kernel and flavour in report names: {@code 6.12}, {@code newest}, {@code 6.12-64k}. */
    static String kernelTag() {
        return kernel() + (flavour() == GuestImages.Flavour.K4 ? "" : "-64k");
    }

    /** The images of {@link #kernel()} (unchecked). */
    static GuestImages images() {
        return GuestImages.forKernel(kernel());
    }

    static List<String> launchers() {
        return Arrays.stream(System.getProperty("jvfio.guest.launchers", "host,testcontainers").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Aborts when guest tests are off or this launcher is not selected; fails ({@code required}) or
     * aborts ({@code auto}) when the images or the launcher's tools are missing. Returns the images.
     */
    static GuestImages require(GuestLauncher launcher, GuestMachine machine) {
        String mode = mode();
        if (mode.equals("off") || mode.equals("false")) {
            Assumptions.abort("guest tests are off (-Djvfio.guest=" + mode + ")");
        }
        if (!launchers().contains(launcher.name())) {
            Assumptions.abort("launcher '" + launcher.name() + "' not in -Djvfio.guest.launchers="
                    + String.join(",", launchers()));
        }
        images().missing(machine.flavour())
                .ifPresent(reason -> unavailable("guest tests via " + launcher.name() + " cannot run: " + reason));
        Optional<String> tools = launcher.unavailableReason(machine);
        if (tools.isPresent() && launcher.name().equals("testcontainers")) {
            // No Docker here: a visible skip even when guest tests are required; the host launcher runs
            // the same in-guest suite, and that one may not be skipped.
            String msg = "guest tests via testcontainers skipped: " + tools.get();
            System.err.println("[guest] SKIPPED: " + msg);
            Assumptions.abort(msg);
        }
        tools.ifPresent(reason -> unavailable("guest tests via " + launcher.name() + " cannot run: " + reason));
        return GuestImages.locate(kernel(), machine.flavour());
    }

    /** Fails (required) or aborts (auto) with the reason, printed so a skip is never silent. */
    static void unavailable(String msg) {
        boolean required = mode().equals("required");
        System.err.println("[guest] " + (required ? "FAIL" : "SKIPPED") + ": " + msg);
        if (required) {
            fail(msg + " (-Djvfio.guest=required)");
        }
        Assumptions.abort(msg + " (-Djvfio.guest=required would fail)");
    }

    /** A guest test run named {@code name}, with the JUnit CDS archive unless {@code -Djvfio.guest.noCds=true}. */
    static GuestTestRun.Builder testRunBuilder(String name, GuestImages images) {
        GuestTestRun.Builder b = GuestTestRun.builder(name);
        if (!Boolean.getBoolean("jvfio.guest.noCds")) {
            b.cds(images, flavour());
        }
        return b;
    }
}
