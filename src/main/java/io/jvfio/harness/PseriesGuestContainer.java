package io.jvfio.harness;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.IsRunningStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * The pSeries guest as a Testcontainers container: QEMU from the locally built image
 * ({@link #localImage()}: Debian packages only, no registry) booting a {@link GuestMachine} with the
 * kernel of an images directory and a run's initramfs, both bind-mounted read-only. It carries the
 * labels jvfio's cleanup finds it by ({@value #LABEL}=1, its owner JVM, the run). {@code start()}
 * returns once QEMU runs (or has already ended); the console is the container's stdout.
 *
 * <p>{@link TestcontainersLauncher} creates, supervises ({@link QemuProcess}) and removes these, with
 * the timeout and the console parsing every launcher shares; use the class directly only to own the
 * container's lifetime yourself.
 *
 * <pre>{@code
 * try (RunDirectory rd = RunDirectory.create(RunDirectory.defaultRoot())) {
 *     rd.writeInitrd(images.initramfs(machine.flavour()), run);
 *     try (PseriesGuestContainer c = new PseriesGuestContainer(PseriesGuestContainer.localImage(), machine, images, rd)) {
 *         c.withLogConsumer(f -> System.out.print(f.getUtf8String())).start();
 *         ...
 *     }
 * }
 * }</pre>
 */
public final class PseriesGuestContainer extends GenericContainer<PseriesGuestContainer> {
    /** Every jvfio guest container has {@code jvfio.harness=1}. */
    public static final String LABEL = "jvfio.harness";
    /** The JVM that created it ({@code pid-startMillis}): containers of dead owners are leftovers. */
    public static final String OWNER_LABEL = "jvfio.harness.owner";
    /** The run directory's id, as in QEMU's {@code -name jvfio-guest-<id>}. */
    public static final String RUN_LABEL = "jvfio.harness.run";
    /** This JVM's owner label value. */
    static final String OWNER = ProcessHandle.current().pid() + "-"
            + ProcessHandle.current().info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
    private static final String KERNEL_DIR = "/images";
    private static final String RUN_DIR = "/run/jvfio";

    private final List<String> qemuCommand;

    /**
     * A container that boots {@code machine} with {@code images}' kernel and the initramfs
     * {@code rd} holds ({@link RunDirectory#writeInitrd}).
     *
     * @param image the QEMU image, {@link #localImage()}
     */
    @SuppressWarnings("this-escape")
    public PseriesGuestContainer(String image, GuestMachine machine, GuestImages images, RunDirectory rd) {
        super(DockerImageName.parse(image));
        List<String> argv = new ArrayList<>(machine.qemuCommand(KERNEL_DIR + "/" + machine.flavour().kernelFile(),
                RUN_DIR + "/" + RunDirectory.INITRD, HostQemuLauncher.NAME_PREFIX + rd.id(), null));
        argv.set(0, "qemu-system-ppc64"); // the image's QEMU, whatever the host's is called
        this.qemuCommand = List.copyOf(argv);
        withLabels(Map.of(LABEL, "1", OWNER_LABEL, OWNER, RUN_LABEL, rd.id()));
        // Plain docker binds: Testcontainers' own withFileSystemBind first probes file mounting with an
        // alpine container, which cannot be pulled without a registry.
        withCreateContainerCmdModifier(cmd -> cmd.withHostConfig(cmd.getHostConfig().withBinds(
                new Bind(images.dir().toAbsolutePath().toString(), new Volume(KERNEL_DIR), AccessMode.ro),
                new Bind(rd.dir().toAbsolutePath().toString(), new Volume(RUN_DIR), AccessMode.ro))));
        withCommand(argv.toArray(String[]::new));
        withStartupCheckStrategy(new IsRunningStartupCheckStrategy());
    }

    /** The QEMU command line the container runs. */
    public List<String> qemuCommand() {
        return qemuCommand;
    }

    /**
     * The local QEMU image, built on first use from Debian packages ({@code qemu-images/docker/build-image.sh},
     * starting Debian's dockerd when none answers).
     *
     * @throws GuestUnavailableException when Docker or the image build is not usable here
     */
    public static String localImage() {
        DockerSetup.Outcome o = DockerSetup.prepare();
        if (o.failure() != null) {
            throw new GuestUnavailableException("Docker is not usable: " + o.failure());
        }
        return o.image();
    }
}
