package io.jvfio.harness.nested;

import io.jvfio.harness.ConsoleArchive;
import io.jvfio.harness.GuestLauncher;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestTimeoutException;
import io.jvfio.harness.GuestUnavailableException;
import io.jvfio.harness.HostQemuLauncher;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Runs a {@link GuestRun} in L2: boots L0 (through a {@link GuestLauncher}, the host's QEMU by
 * default) with L1's image and a per-run L1 overlay holding L2's initramfs (L2's base image plus the
 * run's overlay) and the L2 settings of the {@link NestedMachine}. L1's {@code l1-run.sh} does the
 * rest and reports; {@link NestedResult#parse} reads it back.
 *
 * <pre>{@code
 * GuestRun l2 = GuestTestRun.builder("edu-in-l2").selectPackage("io.jvfio.guest.dma")
 *         .systemProperty("jvfio.backends", "kernel").build();
 * NestedResult r = new NestedLauncher().run(NestedMachine.defaults(), l2);
 * if (!r.passed()) throw new AssertionError(r.verdictLine());
 * }</pre>
 *
 * <p>Nothing is thrown for a failed nested run: the result says what failed, in one line
 * ({@link NestedResult#verdictLine()}). {@link GuestUnavailableException} means the run could not
 * start at all (no images, no QEMU). The L0 console is saved by {@link ConsoleArchive} (as
 * {@code last.log}, and as {@code <name>-host.log} when the run failed).
 */
public final class NestedLauncher {
    /** L1's /jvfio/run: the settings, then the script of L1's image. */
    static final String L1_SCRIPT = "set -a\n. /jvfio/nested.conf\nset +a\nexec sh /opt/nested/l1-run.sh\n";
    static final String L2_INITRD = "l2-initrd";
    static final String SETTINGS = "nested.conf";

    private final GuestLauncher l0;
    private final NestedImages images;

    /** The host's QEMU for L0, the images under the default cache. */
    public NestedLauncher() {
        this(new HostQemuLauncher(), NestedImages.atDefault());
    }

    public NestedLauncher(GuestLauncher l0, NestedImages images) {
        this.l0 = l0;
        this.images = images;
    }

    public NestedImages images() {
        return images;
    }

    /** Why {@code machine} cannot run here (images or QEMU missing), or empty. */
    public Optional<String> unavailableReason(NestedMachine machine) {
        return images.missing(machine.l1Kernel()).or(() -> l0.unavailableReason(machine.l0Machine()));
    }

    /** Boots L0 -> L1 -> L2 and runs {@code l2Run} in L2, bounded by the machine's timeouts. */
    public NestedResult run(NestedMachine machine, GuestRun l2Run) {
        unavailableReason(machine).ifPresent(r -> {
            throw new GuestUnavailableException(r);
        });
        Path tmp;
        try {
            tmp = Files.createTempDirectory("jvfio-nested-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
        try {
            Path l2Initrd = tmp.resolve(L2_INITRD);
            writeL2Initrd(l2Initrd, l2Run);
            GuestRun l1Run = GuestRun.builder("nested-" + l2Run.name())
                    .file(l2Initrd, L2_INITRD)
                    .text(SETTINGS, machine.l1Settings(), false)
                    .script(L1_SCRIPT)
                    .build();
            GuestResult r;
            boolean timedOut = false;
            try {
                r = l0.boot(machine.l0Machine(), images.l1(), l1Run);
            } catch (GuestTimeoutException e) {
                r = e.result().orElseThrow(() -> e);
                timedOut = true;
            }
            NestedResult result = NestedResult.parse(l2Run.name(), machine, r, timedOut);
            ConsoleArchive.save(r, result.passed() ? null : result.verdictLine());
            return result;
        } finally {
            deleteTree(tmp);
        }
    }

    /** L2's initramfs: its base image followed by the run's overlay archive. */
    void writeL2Initrd(Path out, GuestRun l2Run) {
        try {
            Files.copy(images.l2BaseInitramfs(), out);
            if (Files.size(out) % 4 != 0) {
                throw new IOException(images.l2BaseInitramfs() + " is not 4-byte aligned");
            }
            try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.APPEND)) {
                l2Run.writeOverlay(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write L2's initramfs " + out, e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
