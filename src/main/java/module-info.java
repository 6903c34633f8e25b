/**
 * jvfio: userspace VFIO (SPAPR TCE) for IBM POWER over the Java FFM API.
 *
 * <p>Exported: the public API ({@code io.jvfio}), the toolkit, the drivers, the JUnit extension, the
 * scenario language, the harness's entry points, and for advanced users the raw tier: the ABI layouts
 * ({@code io.jvfio.abi}) and the backend seam ({@code io.jvfio.backend}), plus the emulator's entry
 * points ({@code io.jvfio.emul}: {@code Vfio.over(new EmulatedBackend(profile))}). Internal: the
 * emulator's parts (its sub-packages), the FFM downcall tier ({@code io.jvfio.backend.kernel}), the
 * toolkit's map benchmark, the demo, the in-guest and nested harness, and the CLI.
 *
 * <p>Native access (FFM downcalls) is needed by this module: run with
 * {@code --enable-native-access=io.jvfio} on the module path ({@code ALL-UNNAMED} on the class path,
 * as the shaded jar's manifest says).
 */
module io.jvfio {
    // Toolkit plans render themselves as Jackson trees.
    requires transitive com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.slf4j;
    // Only for the JUnit extension and the in-guest test runner; absent for plain library users.
    requires static transitive org.junit.jupiter.api;
    requires static org.junit.platform.launcher;
    // Only for the Testcontainers launcher (an optional dependency; testcontainers has no module name
    // of its own, so its jar's name is it).
    requires static testcontainers;
    requires static com.github.dockerjava.api;

    exports io.jvfio;
    exports io.jvfio.abi;
    exports io.jvfio.backend;
    exports io.jvfio.emul;
    exports io.jvfio.toolkit;
    exports io.jvfio.driver.edu;
    exports io.jvfio.driver.edu.example;
    exports io.jvfio.driver.nvme;
    exports io.jvfio.junit;
    exports io.jvfio.harness;
    // @PseriesGuest: downstream tests in a pSeries guest.
    exports io.jvfio.harness.junit;
    // The scenario language (docs: scenario-format.md); the harness's ScenarioDiff speaks it.
    exports io.jvfio.scenario;

    // picocli reads the commands' annotated fields reflectively.
    opens io.jvfio.cli to info.picocli;
}
