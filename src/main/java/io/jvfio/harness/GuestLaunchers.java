package io.jvfio.harness;

import java.util.List;

/** The launchers by the names {@code --launcher} and {@code @PseriesGuest(launcher)} use. */
public final class GuestLaunchers {
    /** The accepted names. */
    public static final List<String> NAMES = List.of("host", "testcontainers");
    private static final String TESTCONTAINERS_CLASS = "org.testcontainers.DockerClientFactory";

    private GuestLaunchers() {}

    /**
     * The launcher called {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name
     * @throws GuestUnavailableException for {@code testcontainers} when Testcontainers (an optional
     *     dependency of jvfio) is not on the classpath
     */
    public static GuestLauncher byName(String name) {
        return switch (name) {
            case "host" -> new HostQemuLauncher();
            case "testcontainers" -> {
                try {
                    Class.forName(TESTCONTAINERS_CLASS, false, GuestLaunchers.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new GuestUnavailableException("the testcontainers launcher needs org.testcontainers:testcontainers"
                            + " on the classpath (an optional dependency of jvfio, not in the shaded jar): add it to your"
                            + " project's test dependencies, or use --launcher host");
                }
                yield testcontainers();
            }
            default -> throw new IllegalArgumentException("unknown launcher '" + name + "' (one of "
                    + String.join(", ", NAMES) + ")");
        };
    }

    // a separate method: TestcontainersLauncher is loaded only after the check above
    private static GuestLauncher testcontainers() {
        return new TestcontainersLauncher();
    }
}
