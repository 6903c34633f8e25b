package io.jvfio.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A run's scratch directory under a launcher's work root: the initramfs (base image + the run's
 * overlay), QEMU's pidfile, and an {@code owner} file naming the JVM that started it, so that a later
 * JVM can tell a live run from the leftovers of a killed one ({@link HostQemuLauncher#sweepLeftovers}).
 */
public final class RunDirectory implements AutoCloseable {
    public static final String OWNER = "owner";
    public static final String PIDFILE = "qemu.pid";
    public static final String INITRD = "initrd.cpio";

    private final String id;
    private final Path dir;

    private RunDirectory(String id, Path dir) {
        this.id = id;
        this.dir = dir;
    }

    /** The default work root: {@code -Djvfio.guest.workDir}, else {@code $TMPDIR/jvfio-harness}. */
    public static Path defaultRoot() {
        String p = System.getProperty("jvfio.guest.workDir");
        return p != null && !p.isBlank() ? Path.of(p) : Path.of(System.getProperty("java.io.tmpdir"), "jvfio-harness");
    }

    /** A new directory {@code root/<uuid>} owned by this JVM. */
    public static RunDirectory create(Path root) {
        String id = UUID.randomUUID().toString();
        Path dir = root.resolve(id);
        try {
            Files.createDirectories(dir);
            ProcessHandle me = ProcessHandle.current();
            Files.writeString(dir.resolve(OWNER), me.pid() + " "
                    + me.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the run directory " + dir, e);
        }
        return new RunDirectory(id, dir);
    }

    /** The run's unique id (QEMU's {@code -name} is {@code jvfio-guest-<id>}). */
    public String id() {
        return id;
    }

    public Path dir() {
        return dir;
    }

    public Path initrd() {
        return dir.resolve(INITRD);
    }

    public Path pidfile() {
        return dir.resolve(PIDFILE);
    }

    /** Writes {@link #initrd()}: the base initramfs followed by the run's overlay archive. */
    public Path writeInitrd(Path base, GuestRun run) {
        Path out = initrd();
        try {
            Files.copy(base, out);
            if (Files.size(out) % 4 != 0) {
                throw new IOException(base + " is not 4-byte aligned: the appended archive would be lost");
            }
            try (OutputStream o = Files.newOutputStream(out, StandardOpenOption.APPEND)) {
                run.writeOverlay(o);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the initramfs " + out, e);
        }
        return out;
    }

    /** True when the JVM recorded in {@code dir}'s owner file is still running. */
    static boolean ownerAlive(Path dir) {
        try {
            String[] f = Files.readString(dir.resolve(OWNER)).trim().split("\\s+");
            long pid = Long.parseLong(f[0]);
            long start = f.length > 1 ? Long.parseLong(f[1]) : 0;
            Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (h.isEmpty()) {
                return false;
            }
            Optional<Long> actual = h.get().info().startInstant().map(i -> i.toEpochMilli());
            return start == 0 || actual.isEmpty() || Math.abs(actual.get() - start) < 2000; // else: a reused pid
        } catch (IOException | RuntimeException e) {
            // No (readable) owner file: a directory being created right now, or debris. Age decides.
            try {
                return Files.getLastModifiedTime(dir).toMillis() > System.currentTimeMillis() - 600_000;
            } catch (IOException e2) {
                return false;
            }
        }
    }

    /** Deletes the directory and everything in it. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
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

    @Override
    public void close() {
        deleteTree(dir);
    }
}
