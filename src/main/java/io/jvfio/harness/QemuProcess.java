package io.jvfio.harness;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one owner of a guest's QEMU, wherever it runs (a child process, a container): {@link #supervise}
 * starts it with the console and stderr captured, waits bounded by the timeout, kills it when the time
 * is up, on any exception and (a shutdown hook) when the JVM exits mid-run, and collects the outcome.
 * Every launcher ends its QEMU through here, so none can leave one behind; a launcher only says how
 * to start, wait for, and kill its kind of QEMU ({@link Running}).
 */
public final class QemuProcess {
    /** What QEMU did: its console, stderr, exit code (-1 when killed or unknown) and whether it timed out. */
    public record Outcome(List<ConsoleLine> console, String stderr, int exitCode, boolean timedOut, Duration took) {
        /**
         * The guest run's result as {@code launcher} saw it running {@code argv}.
         *
         * @throws GuestTimeoutException (carrying the partial result) when QEMU was killed at {@code timeout}
         */
        public GuestResult result(GuestRun run, String launcher, List<String> argv, Duration timeout) {
            GuestResult r = GuestResult.parse(run.name(), launcher, argv, console, stderr, exitCode, timedOut, took);
            if (timedOut) {
                throw new GuestTimeoutException("the guest run '" + run.name() + "' exceeded its timeout of "
                        + timeout.toSeconds() + " s and was killed (" + r.timing() + ")", r);
            }
            return r;
        }
    }

    /** A started QEMU. */
    public interface Running {
        /** Waits up to {@code d} for QEMU to end; true when it did. */
        boolean waitFor(Duration d) throws InterruptedException;

        /** QEMU's exit code once it ended, else -1. */
        int exitCode();

        /** Ends QEMU and everything it started (idempotent; also called after a normal end, to clean up). */
        void kill();

        /** Lets the console and stderr streams catch up after QEMU ended, bounded. */
        void drain() throws InterruptedException;
    }

    /** Starts QEMU feeding {@code console} and {@code stderr}. */
    @FunctionalInterface
    public interface Starter {
        /** @throws GuestUnavailableException when QEMU cannot be started at all */
        Running start(ConsoleCapture console, ByteArrayOutputStream stderr);
    }

    private QemuProcess() {}

    /** {@code pb}'s process as the guest's QEMU: {@link #supervise} with a child process. */
    public static Outcome run(ProcessBuilder pb, Duration timeout, String echoPrefix) {
        return supervise(timeout, echoPrefix, (console, err) -> child(pb, console, err));
    }

    /** {@link #run(ProcessBuilder, Duration, String)} with {@code listener} told each console line as it arrives. */
    public static Outcome run(ProcessBuilder pb, Duration timeout, String echoPrefix, Consumer<ConsoleLine> listener) {
        return supervise(timeout, echoPrefix, listener, (console, err) -> child(pb, console, err));
    }

    /**
     * Starts QEMU, waits for it bounded by {@code timeout} (then kills it), always kills what is left,
     * and returns what it did. The console is echoed live when {@code -Djvfio.guest.echo} asks
     * ({@code echoPrefix} before each line).
     */
    public static Outcome supervise(Duration timeout, String echoPrefix, Starter starter) {
        return supervise(timeout, echoPrefix, null, starter);
    }

    /** {@link #supervise(Duration, String, Starter)} with {@code listener} (or null) told each console line live. */
    public static Outcome supervise(Duration timeout, String echoPrefix, Consumer<ConsoleLine> listener, Starter starter) {
        long t0 = System.nanoTime();
        Consumer<ConsoleLine> echo = ConsoleCapture.echoIfRequested(echoPrefix);
        ConsoleCapture console = new ConsoleCapture(t0, echo == null ? listener : listener == null ? echo : echo.andThen(listener));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Running r = starter.start(console, err);
        try (KillOnExit guard = new KillOnExit(r)) {
            boolean timedOut = !r.waitFor(timeout);
            int exit = timedOut ? -1 : r.exitCode();
            if (timedOut) {
                r.kill();
            }
            r.drain();
            console.finish();
            String stderr;
            synchronized (err) {
                stderr = err.toString(StandardCharsets.UTF_8);
            }
            return new Outcome(console.lines(), stderr, exit, timedOut, Duration.ofNanos(System.nanoTime() - t0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestRunException("interrupted while the guest ran", null, e);
        }
    }

    private static Running child(ProcessBuilder pb, ConsoleCapture console, ByteArrayOutputStream err) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new GuestUnavailableException("cannot start " + pb.command().getFirst() + ": " + e.getMessage(), e);
        }
        Thread out = Thread.ofPlatform().daemon().name("jvfio-qemu-out-" + p.pid()).start(() -> {
            try {
                console.drain(p.getInputStream());
            } catch (IOException e) {
                // the process was killed
            }
        });
        Thread errT = Thread.ofPlatform().daemon().name("jvfio-qemu-err-" + p.pid())
                .start(() -> copyLimited(p.getErrorStream(), err));
        return of(p, out, errT);
    }

    /** A child process as a {@link Running}: killed with its descendants; drained by joining {@code streams}. */
    static Running of(Process p, Thread... streams) {
        return new Running() {
            @Override
            public boolean waitFor(Duration d) throws InterruptedException {
                return p.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public int exitCode() {
                return p.isAlive() ? -1 : p.exitValue();
            }

            @Override
            public void kill() {
                if (p.isAlive()) {
                    destroyTree(p.toHandle());
                }
            }

            @Override
            public void drain() throws InterruptedException {
                p.waitFor(10, TimeUnit.SECONDS);
                for (Thread t : streams) {
                    t.join(5000);
                }
            }
        };
    }

    /**
     * Runs a helper process (an image build script) with its own redirections, bounded by
     * {@code timeout}; returns its exit status, 124 when it was killed at the timeout.
     */
    public static int runBounded(ProcessBuilder pb, Duration timeout) throws IOException {
        Running r = of(pb.start());
        try (KillOnExit guard = new KillOnExit(r)) {
            if (!r.waitFor(timeout)) {
                r.kill();
                r.drain();
                return 124;
            }
            return r.exitCode();
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

    /** Kills on close and, through a shutdown hook, when the JVM exits first. */
    private static final class KillOnExit implements AutoCloseable {
        private final Running r;
        private final Thread hook;
        private boolean hooked;

        KillOnExit(Running r) {
            this.r = r;
            this.hook = new Thread(r::kill, "jvfio-qemu-kill");
            try {
                Runtime.getRuntime().addShutdownHook(hook);
                hooked = true;
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }

        @Override
        public void close() {
            r.kill();
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
