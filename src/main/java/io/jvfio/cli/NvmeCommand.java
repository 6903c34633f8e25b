package io.jvfio.cli;

import static io.jvfio.cli.NvmeTarget.close;
import static io.jvfio.cli.NvmeTarget.failure;
import static io.jvfio.cli.NvmeTarget.fileSize;
import static io.jvfio.cli.NvmeTarget.open;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.Sizes;
import io.jvfio.cli.NvmeTarget.Failure;
import io.jvfio.cli.NvmeTarget.Opened;
import io.jvfio.driver.nvme.IdentifyController;
import io.jvfio.driver.nvme.IdentifyNamespace;
import io.jvfio.driver.nvme.NvmeController;
import io.jvfio.driver.nvme.NvmeQueuePair;
import io.jvfio.scenario.ExitStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jvfio nvme}: a small nvme-cli over jvfio's userspace NVMe driver ({@link NvmeController}),
 * on the kernel or the emulator.
 */
@Command(name = "nvme",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Identify, read and write an NVMe namespace through jvfio's userspace NVMe driver.",
            "%nWithout --group and --device, the first NVMe controller (PCI class 01:08) bound to vfio-pci is used."
                    + " On the emulated backend --image FILE backs the namespace (512-byte blocks, the file's size is the"
                    + " namespace's; created with --size when absent), so data persists between runs as on a disk.%n"},
        subcommands = {NvmeCommand.Identify.class, NvmeCommand.Read.class, NvmeCommand.Write.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:an NVMe command failed (error status, timeout, controller fatal status)",
            "2:bad input: command line, LBA beyond the namespace, zero blocks, a file not a multiple of the block"
                    + " size (nothing was written)",
            "3:no controller: no VFIO, no NVMe controller bound to vfio-pci, a device that is not NVMe, a"
                    + " controller that does not become ready, an image that cannot be opened",
            "5:internal error in jvfio"})
public final class NvmeCommand implements Callable<Integer> {
    /** The emulated namespace's block size, and the smallest any LBA format has. */
    static final int EMULATED_BLOCK = 512;
    /** The most one READ call reads into memory before writing it out. */
    static final int CHUNK = 1 << 20;

    @Spec
    CommandSpec spec;

    /** Raw bytes of {@code read} without {@code --out}; replaceable for tests. */
    OutputStream stdout = System.out;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jvfio nvme: no subcommand given; try 'jvfio nvme identify', or 'jvfio nvme --help'");
        return ExitStatus.SYNTAX;
    }

    /** Runs {@code body} and turns failures into one line on stderr and the exit status. */
    static int run(CommandSpec spec, Body body) {
        PrintWriter err = spec.commandLine().getErr();
        try {
            body.run(err);
            return ExitStatus.OK;
        } catch (Failure f) {
            err.println("jvfio nvme " + spec.name() + ": " + f.getMessage());
            return f.status;
        }
    }

    @FunctionalInterface
    interface Body {
        void run(PrintWriter err) throws Failure;
    }

    /** {@code jvfio nvme identify}. */
    @Command(name = "identify", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Prints the controller's and namespace 1's IDENTIFY data.")
    static final class Identify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NvmeTarget target = new NvmeTarget();

        @Option(names = "--json", description = "One JSON document instead of text.")
        boolean json;

        @Override
        public Integer call() {
            return run(spec, err -> {
                Opened o = open(target, err);
                try {
                    print(o);
                } finally {
                    close(o);
                }
            });
        }

        private void print(Opened o) {
            PrintWriter out = spec.commandLine().getOut();
            NvmeController c = o.nvme();
            IdentifyController id = c.identify();
            IdentifyNamespace ns = c.namespace();
            if (json) {
                ObjectNode root = Json.object();
                root.put("backend", o.backend());
                root.put("group", o.group());
                root.put("device", c.address());
                ObjectNode cj = root.putObject("controller");
                cj.put("vendor_id", String.format("0x%04x", id.vendorId()));
                cj.put("subsystem_vendor_id", String.format("0x%04x", id.subsystemVendorId()));
                cj.put("model", id.model());
                cj.put("serial", id.serial());
                cj.put("firmware", id.firmware());
                cj.put("version", id.versionString());
                cj.put("controller_id", id.controllerId());
                cj.put("mdts", id.mdts());
                cj.put("namespaces", id.namespaces());
                cj.put("volatile_write_cache", id.volatileWriteCache());
                ObjectNode nj = root.putObject("namespace");
                nj.put("nsid", ns.nsid());
                nj.put("blocks", ns.blocks());
                nj.put("block_size", ns.blockSize());
                nj.put("bytes", ns.bytes());
                nj.put("capacity", ns.capacity());
                nj.put("utilization", ns.utilization());
                root.put("memory_page_size", c.memoryPageSize());
                root.put("max_transfer", c.maxTransfer());
                root.put("queue_pairs", c.maxQueuePairs());
                out.println(Json.pretty(root));
            } else {
                out.printf("controller %s (group %d, %s): %s, serial %s, firmware %s, NVMe %s, vendor 0x%04x%n",
                        c.address(), o.group(), o.backend(), id.model(), id.serial(), id.firmware(), id.versionString(),
                        id.vendorId());
                out.printf("namespace %d: %d blocks of %d bytes (%s)%n", ns.nsid(), ns.blocks(), ns.blockSize(),
                        Sizes.human(ns.bytes()));
                out.printf("volatile write cache: %s; max transfer %s; queue pairs %d%n",
                        id.volatileWriteCache() ? "yes" : "no", Sizes.human(c.maxTransfer()), c.maxQueuePairs());
                out.printf("memory page: %s%n", c.memoryPageSizeReason());
            }
            out.flush();
        }
    }

    /** {@code jvfio nvme read}. */
    @Command(name = "read", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Reads --blocks N blocks from --lba L: raw bytes to --out FILE, or to stdout.")
    static final class Read implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        NvmeCommand parent;

        @Mixin
        NvmeTarget target = new NvmeTarget();

        @Option(names = "--lba", required = true, paramLabel = "L", description = "The first logical block.")
        long lba;

        @Option(names = "--blocks", required = true, paramLabel = "N", description = "How many blocks.")
        int blocks;

        @Option(names = "--out", paramLabel = "FILE", description = "Write the bytes here (default: stdout).")
        Path out;

        @Override
        public Integer call() {
            return run(spec, err -> {
                if (blocks <= 0) {
                    throw new Failure(ExitStatus.SYNTAX, "--blocks " + blocks + ": must be at least 1");
                }
                if (lba < 0) {
                    throw new Failure(ExitStatus.SYNTAX, "--lba " + lba + ": must not be negative");
                }
                Opened o = open(target, err);
                try {
                    checkRange(o, lba, blocks);
                    copyOut(o);
                } finally {
                    close(o);
                }
            });
        }

        private void copyOut(Opened o) throws Failure {
            int bs = o.nvme().namespace().blockSize();
            int perCall = Math.max(1, CHUNK / bs);
            try (NvmeQueuePair q = o.nvme().queuePair();
                    OutputStream dst = out == null ? nonClosing(parent.stdout) : Files.newOutputStream(out)) {
                for (long done = 0; done < blocks; ) {
                    int n = (int) Math.min(perCall, blocks - done);
                    dst.write(q.read(lba + done, n));
                    done += n;
                }
                dst.flush();
            } catch (IOException | RuntimeException e) {
                throw failure(e);
            }
        }
    }

    /** {@code jvfio nvme write}. */
    @Command(name = "write", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Writes FILE at --lba L (FILE's length must be a multiple of the block size), then FLUSH.",
                "The controller is shut down in order (CC.SHN) before the command exits: nothing written is lost."})
    static final class Write implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        NvmeTarget target = new NvmeTarget();

        @Option(names = "--lba", required = true, paramLabel = "L", description = "The first logical block.")
        long lba;

        @Option(names = "--in", required = true, paramLabel = "FILE", description = "The bytes to write.")
        Path in;

        @Override
        public Integer call() {
            return run(spec, err -> {
                if (lba < 0) {
                    throw new Failure(ExitStatus.SYNTAX, "--lba " + lba + ": must not be negative");
                }
                long length = fileSize(in);
                if (length == 0) {
                    throw new Failure(ExitStatus.SYNTAX, "--in " + in + " is empty: nothing to write");
                }
                // Every LBA format's block is a power of two of at least 512 bytes: refuse before touching the device.
                if (length % EMULATED_BLOCK != 0) {
                    throw new Failure(ExitStatus.SYNTAX, String.format("--in %s is %d bytes: not a multiple of the "
                            + "block size (512 or more; nothing written)", in, length));
                }
                Opened o = open(target, err);
                try {
                    int bs = o.nvme().namespace().blockSize();
                    if (length % bs != 0) {
                        throw new Failure(ExitStatus.SYNTAX, String.format("--in %s is %d bytes: not a multiple of the "
                                + "%d-byte block size (nothing written)", in, length, bs));
                    }
                    checkRange(o, lba, length / bs);
                    copyIn(o, bs);
                } finally {
                    close(o);
                }
            });
        }

        private void copyIn(Opened o, int bs) throws Failure {
            int perCall = Math.max(1, CHUNK / bs) * bs;
            try (NvmeQueuePair q = o.nvme().queuePair(); FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(perCall);
                long at = lba;
                while (true) {
                    buf.clear();
                    while (buf.hasRemaining() && ch.read(buf) > 0) {
                        // fill the chunk
                    }
                    if (buf.position() == 0) {
                        break;
                    }
                    byte[] chunk = java.util.Arrays.copyOf(buf.array(), buf.position());
                    q.write(at, chunk);
                    at += chunk.length / bs;
                }
                q.flush();
            } catch (IOException | RuntimeException e) {
                throw failure(e);
            }
        }
    }

    static void checkRange(Opened o, long lba, long blocks) throws Failure {
        IdentifyNamespace ns = o.nvme().namespace();
        if (lba >= ns.blocks() || blocks > ns.blocks() - lba) {
            throw new Failure(ExitStatus.SYNTAX, String.format("lba %d + %d blocks is beyond namespace %d's %d blocks "
                    + "(last lba %d; nothing read or written)", lba, blocks, ns.nsid(), ns.blocks(), ns.blocks() - 1));
        }
    }

    private static OutputStream nonClosing(OutputStream o) {
        return new java.io.FilterOutputStream(o) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

}
