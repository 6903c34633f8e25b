package io.jvfio.harness;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.output.OutputFrame;

/**
 * Runs QEMU in a container (Testcontainers) from a local image built from Debian packages only
 * ({@link DockerSetup}). The same {@link GuestMachine} command line, the same console parsing: the
 * {@link GuestResult} matches {@link HostQemuLauncher}'s.
 *
 * <p>The kernel and the run directory (the initramfs) are bind-mounted read-only, so the daemon must
 * share this machine's filesystem (a local dockerd, as {@code ensure-docker.sh} starts). Without Ryuk
 * (disabled: no registry to pull it from) a killed JVM would leak containers, so every container is
 * labelled ({@link PseriesGuestContainer#LABEL}) with its owner JVM; containers of dead owners are removed before each
 * run, and this JVM's on exit.
 *
 * <p>Testcontainers is an optional dependency of jvfio: a project using this launcher adds
 * {@code org.testcontainers:testcontainers} to its test dependencies (the shaded jar does not carry it).
 * The image is built locally from Debian packages ({@code qemu-images/docker/build-image.sh}, no
 * registry), once, on first use.
 *
 * <pre>{@code
 * GuestResult r = new TestcontainersLauncher().run(setup.machine(), GuestImages.ensure(Flavour.K4), run);
 * }</pre>
 */
public final class TestcontainersLauncher implements GuestLauncher {
    private static final String LABEL = PseriesGuestContainer.LABEL;
    private static final String OWNER_LABEL = PseriesGuestContainer.OWNER_LABEL;
    private static final String OWNER = PseriesGuestContainer.OWNER;
    private static volatile boolean hookInstalled;

    private final Path workRoot;

    /** A launcher with run directories under {@link RunDirectory#defaultRoot()}. */
    public TestcontainersLauncher() {
        this(RunDirectory.defaultRoot());
    }

    /** A launcher with run directories under {@code workRoot} (the daemon must see it: bind mounts). */
    public TestcontainersLauncher(Path workRoot) {
        this.workRoot = workRoot;
    }

    @Override
    public String name() {
        return "testcontainers";
    }

    /** How long the Docker preparation took (daemon start, image build or cache hit). */
    public static Optional<Duration> setupTime() {
        return Optional.ofNullable(DockerSetup.prepare().took());
    }

    @Override
    public Optional<String> unavailableReason(GuestMachine machine) {
        if (!Boolean.parseBoolean(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
            // Testcontainers reads this from the environment only; Ryuk's image would come from a registry
            return Optional.of("set TESTCONTAINERS_RYUK_DISABLED=true: Testcontainers' Ryuk image needs a registry,"
                    + " and this launcher removes its own labelled containers instead");
        }
        if (java.nio.file.Files.exists(Path.of("/.dockerenv")) && System.getenv("TESTCONTAINERS_HOST_OVERRIDE") == null) {
            // inside a container Testcontainers finds the Docker host by running alpine, pulled from a registry
            return Optional.of("running inside a container: set TESTCONTAINERS_HOST_OVERRIDE=localhost (Testcontainers"
                    + " would otherwise pull alpine from a registry to find the Docker host)");
        }
        DockerSetup.Outcome o = DockerSetup.prepare();
        if (o.failure() != null) {
            return Optional.of("Docker is not usable: " + o.failure());
        }
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return Optional.of("Testcontainers finds no Docker daemon (DOCKER_HOST, /var/run/docker.sock)");
            }
        } catch (RuntimeException | java.util.ServiceConfigurationError | LinkageError e) {
            return Optional.of("Testcontainers cannot reach Docker: " + e);
        }
        return Optional.empty();
    }

    @Override
    public GuestResult boot(GuestMachine machine, GuestImages images, GuestRun run) {
        unavailableReason(machine).ifPresent(r -> {
            throw new GuestUnavailableException(r);
        });
        String image = PseriesGuestContainer.localImage();
        DockerClient docker = DockerClientFactory.instance().client();
        removeStale(docker);
        installHook();
        try (RunDirectory rd = RunDirectory.create(workRoot)) {
            rd.writeInitrd(images.initramfs(machine.flavour()), run);
            PseriesGuestContainer c = new PseriesGuestContainer(image, machine, images, rd);
            List<String> argv = c.qemuCommand();
            return QemuProcess.supervise(machine.timeout(), "[" + run.name() + "/tc] ", (console, err) -> start(c, console, err))
                    .result(run, name(), argv, machine.timeout());
        }
    }

    /** Starts the container (returning once QEMU runs, or has already ended) as a {@link QemuProcess.Running}. */
    private static QemuProcess.Running start(PseriesGuestContainer c, ConsoleCapture console, ByteArrayOutputStream err) {
        CountDownLatch ended = new CountDownLatch(1);
        c.withLogConsumer(f -> consume(f, console, err, ended));
        try {
            c.start();
        } catch (RuntimeException e) {
            if (c.getContainerId() == null) {
                c.stop();
                throw new GuestUnavailableException("cannot start the QEMU container (" + c.getDockerImageName() + "): " + e, e);
            }
            // QEMU already ended with a failure status: its state and logs tell the rest
        }
        String id = c.getContainerId();
        return new QemuProcess.Running() {
            private int exit = -1;

            @Override
            public boolean waitFor(Duration d) throws InterruptedException {
                long deadline = System.nanoTime() + d.toNanos();
                while (true) {
                    InspectContainerResponse.ContainerState state = c.getDockerClient().inspectContainerCmd(id).exec().getState();
                    if (!Boolean.TRUE.equals(state.getRunning())) {
                        exit = state.getExitCodeLong() == null ? -1 : state.getExitCodeLong().intValue();
                        return true;
                    }
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    Thread.sleep(250);
                }
            }

            @Override
            public int exitCode() {
                return exit;
            }

            @Override
            public void kill() {
                c.stop(); // kills and removes the container; idempotent
            }

            @Override
            public void drain() throws InterruptedException {
                ended.await(10, TimeUnit.SECONDS); // the log stream trails the exit a little
            }
        };
    }

    private static void consume(OutputFrame f, ConsoleCapture console, ByteArrayOutputStream err, CountDownLatch ended) {
        byte[] b = f.getBytes();
        switch (f.getType()) {
            case STDOUT -> {
                if (b != null) {
                    console.feed(b, 0, b.length);
                }
            }
            case STDERR -> {
                if (b != null) {
                    synchronized (err) {
                        err.write(b, 0, b.length);
                    }
                }
            }
            case END -> ended.countDown();
        }
    }

    /** Removes labelled containers whose owner JVM is gone (a killed earlier run). Returns how many. */
    static int removeStale(DockerClient docker) {
        int n = 0;
        for (Container c : labelled(docker)) {
            String owner = c.getLabels().getOrDefault(OWNER_LABEL, "");
            if (!owner.equals(OWNER) && !ownerAlive(owner)) {
                remove(docker, c.getId());
                n++;
            }
        }
        if (n > 0) {
            System.err.println("[guest] removed " + n + " container(s) left over by an earlier, killed JVM");
        }
        return n;
    }

    /** Removes this JVM's labelled containers (on exit, or after a run that could not stop its own). */
    static void removeOwn(DockerClient docker) {
        for (Container c : labelled(docker)) {
            if (OWNER.equals(c.getLabels().get(OWNER_LABEL))) {
                remove(docker, c.getId());
            }
        }
    }

    private static List<Container> labelled(DockerClient docker) {
        return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, "1")).exec();
    }

    private static void remove(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (RuntimeException e) {
            // already gone
        }
    }

    private static boolean ownerAlive(String owner) {
        String[] f = owner.split("-");
        try {
            long pid = Long.parseLong(f[0]);
            long start = f.length > 1 ? Long.parseLong(f[1]) : 0;
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(h -> start == 0 || h.info().startInstant().map(i -> Math.abs(i.toEpochMilli() - start) < 2000)
                            .orElse(true))
                    .orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static synchronized void installHook() {
        if (hookInstalled) {
            return;
        }
        hookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                removeOwn(DockerClientFactory.instance().client());
            } catch (RuntimeException e) {
                // the daemon is gone too
            }
        }, "jvfio-guest-containers-cleanup"));
    }
}
