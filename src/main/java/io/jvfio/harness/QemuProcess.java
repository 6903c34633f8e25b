package io.jvfio.harness;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one owner of a guest's QEMU process (or of the process that runs it, e.g. a {@code docker}
 * client): starts it, captures its console and stderr, waits bounded by the machine's timeout, and
 * kills the whole process tree when the time is up, on any exception, and (a shutdown hook) when the
 * JVM exits mid-run. Every launcher ends its QEMU through here, so none can leave one behind.
 */
public final class QemuProcess {
    /** What the process did: its console, stderr, exit code (-1 when killed) and whether it timed out. */
    public record Outcome(List<ConsoleLine> console, String stderr, int exitCode, boolean timedOut, Duration took) {}

    private QemuProcess() {}

    /**
     * Runs {@code argv} to its end or to {@code timeout}, echoing the console when
     * {@code -Djvfio.guest.echo} asks ({@code echoPrefix} before each line).
     *
     * @throws GuestUnavailableException when the process cannot be started
     */
    public static Outcome run(ProcessBuilder pb, Duration timeout, String echoPrefix) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        List<String> argv = pb.command();
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new GuestUnavailableException("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
        }
        ConsoleCapture console = new ConsoleCapture(t0, ConsoleCapture.echoIfRequested(echoPrefix));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (KillOnExit guard = new KillOnExit(p)) {
            Thread out = Thread.ofPlatform().daemon().name("jvfio-qemu-out-" + p.pid()).start(() -> {
                try {
                    console.drain(p.getInputStream());
                } catch (IOException e) {
                    // the process was killed
                }
            });
            Thread errT = Thread.ofPlatform().daemon().name("jvfio-qemu-err-" + p.pid())
                    .start(() -> copyLimited(p.getErrorStream(), err));
            boolean timedOut = !p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (timedOut) {
                destroyTree(p.toHandle());
                p.waitFor(10, TimeUnit.SECONDS);
            }
            out.join(5000);
            errT.join(2000);
            String stderr;
            synchronized (err) {
                stderr = err.toString(StandardCharsets.UTF_8);
            }
            return new Outcome(console.lines(), stderr, timedOut || p.isAlive() ? -1 : p.exitValue(), timedOut,
                    Duration.ofNanos(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestRunException("interrupted while the guest ran", null, e);
        }
    }

    /**
     * Runs a helper process (an image build script) with its own redirections, bounded by
     * {@code timeout}; returns its exit status, 124 when it was killed at the timeout.
     */
    public static int runBounded(ProcessBuilder pb, Duration timeout) throws IOException {
        Process p = pb.start();
        try (KillOnExit guard = new KillOnExit(p)) {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(p.toHandle());
                p.waitFor(10, TimeUnit.SECONDS);
                return 124;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** Kills a process and all its descendants (children first). */
    public static void destroyTree(ProcessHandle h) {
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
    }

    static void copyLimited(InputStream in, ByteArrayOutputStream to) {
        byte[] b = new byte[4096];
        int n;
        try {
            while ((n = in.read(b)) > 0) {
                synchronized (to) {
                    if (to.size() < 1 << 20) {
                        to.write(b, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // the process was killed
        }
    }

    /** Kills the tree on close (if still alive) and, through a shutdown hook, when the JVM exits first. */
    private static final class KillOnExit implements AutoCloseable {
        private final Process p;
        private final Thread hook;
        private boolean hooked;

        KillOnExit(Process p) {
            this.p = p;
            this.hook = new Thread(() -> destroyTree(p.toHandle()), "jvfio-qemu-kill-" + p.pid());
            try {
                Runtime.getRuntime().addShutdownHook(hook);
                hooked = true;
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }

        @Override
        public void close() {
            if (p.isAlive()) {
                destroyTree(p.toHandle());
            }
            if (hooked) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // shutting down: the hook runs anyway
                }
            }
        }
    }
}
