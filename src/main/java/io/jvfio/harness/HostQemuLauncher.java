package io.jvfio.harness;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs QEMU as a child process of this JVM. Every run is bounded by the machine's timeout, after
 * which (and on any exception) the whole process tree is destroyed; a JVM shutdown hook does the
 * same if the JVM exits mid-run. QEMU gets {@code -name jvfio-guest-<uuid>} and a pidfile in its run
 * directory, so that {@link #sweepLeftovers} (called before every boot) can kill what a killed JVM
 * (kill -9, a CI timeout) left behind.
 */
public final class HostQemuLauncher implements GuestLauncher {
    /** QEMU's {@code -name} prefix; the rest is the run directory's id. */
    public static final String NAME_PREFIX = "jvfio-guest-";

    private final Path workRoot;

    public HostQemuLauncher() {
        this(RunDirectory.defaultRoot());
    }

    public HostQemuLauncher(Path workRoot) {
        this.workRoot = workRoot;
    }

    @Override
    public String name() {
        return "host";
    }

    @Override
    public Optional<String> unavailableReason(GuestMachine machine) {
        return findExecutable(machine.qemuBinary()).isPresent() ? Optional.empty()
                : Optional.of(machine.qemuBinary() + " not found on PATH (apt-get install qemu-system-ppc, or -Djvfio.qemu=PATH)");
    }

    /** {@code name} itself when it contains a slash, else the first executable of that name on PATH. */
    public static Optional<Path> findExecutable(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Optional.of(Path.of(d, name));
            }
        }
        return Optional.empty();
    }

    @Override
    public GuestResult boot(GuestMachine machine, GuestImages images, GuestRun run) {
        unavailableReason(machine).ifPresent(r -> {
            throw new GuestUnavailableException(r);
        });
        int swept = sweepLeftovers(workRoot);
        if (swept > 0) {
            System.err.println("[guest] killed " + swept + " QEMU process(es) left over by an earlier, killed JVM");
        }
        try (RunDirectory rd = RunDirectory.create(workRoot)) {
            Path initrd = rd.writeInitrd(images.initramfs(machine.flavour()), run);
            List<String> argv = machine.qemuCommand(images.kernel(machine.flavour()).toString(), initrd.toString(),
                    NAME_PREFIX + rd.id(), rd.pidfile().toString());
            return execute(machine, run, argv, rd);
        }
    }

    private GuestResult execute(GuestMachine machine, GuestRun run, List<String> argv, RunDirectory rd) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .directory(rd.dir().toFile());
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new GuestUnavailableException("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
        }
        Thread hook = new Thread(() -> destroyTree(p.toHandle()), "jvfio-guest-kill-" + rd.id());
        boolean hooked = false;
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            hooked = true;
        } catch (IllegalStateException e) {
            // the JVM is already shutting down
        }
        ConsoleCapture console = new ConsoleCapture(t0, ConsoleCapture.echoIfRequested("[" + run.name() + "] "));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread out = Thread.ofPlatform().daemon().name("jvfio-guest-out-" + rd.id()).start(() -> {
            try {
                console.drain(p.getInputStream());
            } catch (IOException e) {
                // the process was killed
            }
        });
        Thread errT = Thread.ofPlatform().daemon().name("jvfio-guest-err-" + rd.id()).start(() -> copyLimited(p.getErrorStream(), err));
        boolean timedOut = false;
        boolean ok = false;
        try {
            if (!p.waitFor(machine.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                destroyTree(p.toHandle());
                p.waitFor(10, TimeUnit.SECONDS);
            }
            out.join(5000);
            errT.join(2000);
            ok = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestRunException("interrupted while the guest ran", null, e);
        } finally {
            if (!ok || p.isAlive()) {
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
        Duration total = Duration.ofNanos(System.nanoTime() - t0);
        GuestResult r = GuestResult.parse(run.name(), name(), argv, console.lines(),
                err.toString(StandardCharsets.UTF_8), p.isAlive() ? -1 : (timedOut ? -1 : p.exitValue()), timedOut, total);
        if (timedOut) {
            throw new GuestTimeoutException("the guest run '" + run.name() + "' exceeded its timeout of "
                    + machine.timeout().toSeconds() + " s and was killed (" + r.timing() + ")", r);
        }
        return r;
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

    /** Kills a process and all its descendants (children first). */
    static void destroyTree(ProcessHandle h) {
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
    }

    /**
     * Kills the QEMU processes of runs whose JVM is gone and deletes their run directories; also kills
     * orphaned {@code jvfio-guest-*} QEMUs (re-parented to init) whose directory is already gone.
     * Live runs of other JVMs are left alone. Returns how many processes were killed.
     */
    public static int sweepLeftovers(Path workRoot) {
        int killed = 0;
        if (Files.isDirectory(workRoot)) {
            List<Path> dirs;
            try (Stream<Path> s = Files.list(workRoot)) {
                dirs = s.filter(Files::isDirectory).toList();
            } catch (IOException e) {
                dirs = List.of();
            }
            for (Path d : dirs) {
                if (RunDirectory.ownerAlive(d)) {
                    continue;
                }
                String id = d.getFileName().toString();
                Optional<ProcessHandle> q = readPid(d.resolve(RunDirectory.PIDFILE)).flatMap(ProcessHandle::of)
                        .filter(h -> cmdline(h.pid()).contains(NAME_PREFIX + id));
                if (q.isPresent()) {
                    killed += kill(q.get());
                }
                RunDirectory.deleteTree(d);
            }
        }
        // QEMUs whose JVM died before anything was recorded, or whose directory was removed
        List<ProcessHandle> orphans = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(h -> {
            String cmd = cmdline(h.pid());
            String argv0 = cmd.split(" ", 2)[0];
            if (argv0.substring(argv0.lastIndexOf('/') + 1).startsWith("qemu-system")
                    && cmd.contains(" -name " + NAME_PREFIX)) {
                boolean orphan = h.parent().map(pp -> pp.pid() == 1 || !pp.isAlive()).orElse(true);
                if (orphan) {
                    orphans.add(h);
                }
            }
        });
        for (ProcessHandle h : orphans) {
            killed += kill(h);
        }
        return killed;
    }

    private static int kill(ProcessHandle h) {
        destroyTree(h);
        try {
            h.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // gone or stuck: nothing more to do
        }
        return 1;
    }

    private static Optional<Long> readPid(Path pidfile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidfile).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The process's command line with spaces between the arguments, or "" when unreadable. */
    static String cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
