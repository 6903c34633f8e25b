package io.jvfio.harness;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs QEMU as a child process of this JVM, owned by {@link QemuProcess}: bounded by the machine's
 * timeout, the whole process tree destroyed after it, on any exception and when the JVM exits mid-run. QEMU gets {@code -name jvfio-guest-<uuid>} and a pidfile in its run
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
            List<String> argv = new ArrayList<>(machine.qemuCommand(images.kernel(machine.flavour()).toString(),
                    initrd.toString(), NAME_PREFIX + rd.id(), rd.pidfile().toString()));
            // QMP for DLPAR: the guest asks for device_add/device_del on its console (QmpHotplug)
            try (QmpHotplug qmp = new QmpHotplug(rd.dir().resolve("qmp.sock"))) {
                argv.addAll(qmp.qemuArgs());
                return execute(machine, run, argv, rd, qmp);
            }
        }
    }

    private GuestResult execute(GuestMachine machine, GuestRun run, List<String> argv, RunDirectory rd, QmpHotplug qmp) {
        return QemuProcess.run(new ProcessBuilder(argv).directory(rd.dir().toFile()), machine.timeout(),
                "[" + run.name() + "] ", qmp).result(run, name(), argv, machine.timeout());
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
        QemuProcess.destroyTree(h);
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
