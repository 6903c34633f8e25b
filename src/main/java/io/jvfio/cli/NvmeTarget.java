package io.jvfio.cli;

import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.driver.nvme.NvmeController;
import io.jvfio.driver.nvme.NvmeException;
import io.jvfio.driver.nvme.NvmeHost;
import io.jvfio.driver.nvme.NvmeOptions;
import io.jvfio.scenario.ExitStatus;
import io.jvfio.scenario.ScenarioRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options every {@code jvfio nvme} subcommand shares (which backend and which controller), and
 * finding and opening that controller: on the kernel the first NVMe controller bound to vfio-pci
 * unless named, on the emulator one backed by {@code --image}. Failures carry their exit status.
 */
final class NvmeTarget {
    @Option(names = "--backend", paramLabel = "kernel|emulated",
            description = "The real kernel (through /dev/vfio) or the in-process emulator. Default: kernel when "
                    + "/dev/vfio/vfio exists, else emulated (the choice is printed on stderr).")
    BackendOptions.Kind backend;

    @Option(names = "--group", paramLabel = "N", description = "The IOMMU group of the controller.")
    Integer group;

    @Option(names = "--device", paramLabel = "BDF", description = "The controller's PCI address, e.g. 0001:00:00.0.")
    String device;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Emulated backend: the raw file backing namespace 1 (512-byte blocks).")
    Path image;

    @Option(names = "--size", paramLabel = "BYTES",
            description = "Emulated backend: create --image with this size (a multiple of 512; suffixes K, M, G) "
                    + "when it does not exist.")
    String size;

    /** A failure with its exit status: the message is printed as one line. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Failure(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** An opened controller and what it needs closed. */
    record Opened(Vfio vfio, NvmeController nvme, String backend, int group) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                nvme.close();
            } finally {
                vfio.close();
            }
        }
    }

    /** Validates the options, chooses the backend and controller, and opens it. Nothing is written here. */
    static Opened open(NvmeTarget t, PrintWriter err) throws Failure {
        boolean emulated = t.backend == BackendOptions.Kind.emulated
                || (t.backend == null && !Files.exists(Path.of(ScenarioRunner.CONTAINER_PATH)));
        if (!emulated && (t.image != null || t.size != null)) {
            throw new Failure(ExitStatus.SYNTAX, "--image and --size apply to the emulated backend; drop them or use --backend emulated");
        }
        if (emulated) {
            return openEmulated(t, err);
        }
        err.println("jvfio: backend: kernel" + (t.backend == null ? " (" + ScenarioRunner.CONTAINER_PATH + " exists)" : ""));
        err.flush();
        String device = t.device;
        Integer group = t.group;
        if (device == null) {
            Integer wanted = t.group;
            List<NvmeHost.Location> found = NvmeHost.kernelControllers().stream()
                    .filter(l -> wanted == null || l.group() == wanted).toList();
            if (found.isEmpty()) {
                throw new Failure(ExitStatus.UNAVAILABLE, "no NVMe controller (PCI class 01:08) bound to vfio-pci"
                        + (wanted == null ? "" : " in group " + wanted) + ": bind one (driver_override=vfio-pci) or name it with --device");
            }
            device = found.getFirst().address();
            if (group == null) {
                group = found.getFirst().group();
            }
        } else if (group == null) {
            String d = device;
            group = NvmeHost.kernelGroup(device).orElseThrow(() -> new Failure(ExitStatus.UNAVAILABLE,
                    "PCI device " + d + " has no IOMMU group (no such device?): check /sys/bus/pci/devices"));
        }
        Vfio vfio = Vfio.kernel();
        try {
            return new Opened(vfio, NvmeController.open(vfio, group, device, NvmeOptions.defaults()), "kernel", group);
        } catch (IOException | RuntimeException e) {
            vfio.close();
            throw failure(e);
        }
    }

    private static Opened openEmulated(NvmeTarget t, PrintWriter err) throws Failure {
        if (t.image == null) {
            throw new Failure(ExitStatus.SYNTAX, "the emulated backend needs --image FILE (the namespace's backing file)");
        }
        long size = 0;
        if (t.size != null) {
            size = parseSize(t.size);
        }
        if (!Files.exists(t.image) && t.size == null) {
            throw new Failure(ExitStatus.UNAVAILABLE, "no image " + t.image + ": give --size to create it");
        }
        if (Files.exists(t.image)) {
            long have = fileSize(t.image);
            if (have == 0 || have % NvmeCommand.EMULATED_BLOCK != 0) {
                throw new Failure(ExitStatus.SYNTAX, "image " + t.image + " is " + have + " bytes: a namespace needs a "
                        + "non-empty multiple of " + NvmeCommand.EMULATED_BLOCK);
            }
        }
        err.println("jvfio: backend: emulated, NVMe namespace on " + t.image);
        err.flush();
        try {
            if (!Files.exists(t.image)) {
                try (FileChannel ch = FileChannel.open(t.image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
                }
            }
            Vfio vfio = NvmeHost.emulated(t.image);
            try {
                NvmeHost.Location at = NvmeHost.emulatedLocation();
                return new Opened(vfio, NvmeController.open(vfio, at.group(), at.address(), NvmeOptions.defaults()),
                        "emulated", at.group());
            } catch (IOException | RuntimeException e) {
                vfio.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            throw failure(e);
        }
    }

    static long parseSize(String s) throws Failure {
        long v;
        try {
            v = io.jvfio.scenario.Numbers.parse(s);
        } catch (NumberFormatException e) {
            throw new Failure(ExitStatus.SYNTAX, "--size " + s + ": " + e.getMessage());
        }
        if (v <= 0 || v % NvmeCommand.EMULATED_BLOCK != 0) {
            throw new Failure(ExitStatus.SYNTAX, "--size " + s + ": must be a positive multiple of " + NvmeCommand.EMULATED_BLOCK);
        }
        return v;
    }

    static long fileSize(Path p) throws Failure {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new Failure(ExitStatus.UNAVAILABLE, "cannot read " + p + ": " + e.getMessage());
        }
    }

    /** The exit status of a driver or VFIO failure. */
    static Failure failure(Exception e) {
        if (e instanceof Failure f) {
            return f;
        }
        if (e instanceof NvmeException n) {
            boolean device = n.kind() == NvmeException.Kind.UNSUPPORTED || n.kind() == NvmeException.Kind.NOT_READY;
            return new Failure(device ? ExitStatus.UNAVAILABLE : ExitStatus.MISMATCH, n.getMessage());
        }
        if (e instanceof VfioException v) {
            return new Failure(ExitStatus.UNAVAILABLE, v.getMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return new Failure(ExitStatus.SYNTAX, e.getMessage());
        }
        if (e instanceof IOException) {
            return new Failure(ExitStatus.UNAVAILABLE, e.getMessage());
        }
        throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    /** Closes {@code o}; a shutdown failure is the command's failure. */
    static void close(Opened o) throws Failure {
        try {
            o.close();
        } catch (IOException | RuntimeException e) {
            throw failure(e);
        }
    }
}
