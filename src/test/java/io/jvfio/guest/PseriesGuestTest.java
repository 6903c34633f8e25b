package io.jvfio.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.jvfio.Container;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.harness.GuestMachine;
import io.jvfio.harness.HostQemuLauncher;
import io.jvfio.harness.junit.PseriesGuest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * {@link PseriesGuest} end to end: a fixture class with a passing, a failing and an aborted test runs
 * through the JUnit launcher on the host; each must come back with the verdict it had in the guest
 * (the passing ones assert they ran on ppc64le with the kernel's VFIO, so a host run could not pass
 * them). One boot, the {@code @Nested} class and a {@code @TestFactory}'s dynamic tests included.
 */
@Tag("guest")
class PseriesGuestTest {
    /** Run only through the launcher below (surefire skips nested classes). */
    @PseriesGuest(devices = "edu", timeoutSeconds = 600)
    static class Fixture {
        static boolean setUp;

        @BeforeEach
        void before() {
            setUp = true;
        }

        @Test
        void runsInTheGuest(Vfio vfio) throws Exception {
            assertTrue(setUp, "@BeforeEach ran in the guest");
            assertEquals("ppc64le", System.getProperty("os.arch"));
            assertTrue(vfio.backend().getClass().getSimpleName().startsWith("Kernel"), vfio.backend()::toString);
            try (Container c = vfio.openContainer()) {
                assertTrue(c.supports(IommuType.SPAPR_TCE_V2), "SPAPR TCE v2 is there");
            }
        }

        @Test
        void failsInTheGuest() {
            assertEquals("host", "guest", "a deliberate failure");
        }

        @Test
        void abortsInTheGuest() {
            Assumptions.abort("a deliberate skip");
        }

        @TestFactory
        Stream<DynamicTest> dynamicTestsToo() {
            return Stream.of("a", "b").map(n -> DynamicTest.dynamicTest("arch " + n,
                    () -> assertEquals("ppc64le", System.getProperty("os.arch"))));
        }

        @Nested
        class Inner {
            @Test
            void nestedRunsInTheSameBoot() {
                assertEquals("ppc64le", System.getProperty("os.arch"));
            }
        }
    }

    @Test
    void everyGuestVerdictIsTheHostTestsResult() {
        GuestSupport.require(new HostQemuLauncher(), GuestMachine.defaults());
        Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
        Map<String, String> skipped = new ConcurrentHashMap<>();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Fixture.class)).build(),
                new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                        if (id.isTest()) {
                            results.put(id.getDisplayName(), r);
                        }
                    }

                    @Override
                    public void executionSkipped(TestIdentifier id, String reason) {
                        skipped.put(id.getDisplayName(), reason);
                    }
                });
        assertTrue(skipped.isEmpty(), skipped::toString);
        assertEquals(List.of("abortsInTheGuest()", "arch a", "arch b", "failsInTheGuest()", "nestedRunsInTheSameBoot()",
                "runsInTheGuest(Vfio)"),
                results.keySet().stream().sorted().toList());
        TestExecutionResult ok = results.get("runsInTheGuest(Vfio)");
        assertEquals(TestExecutionResult.Status.SUCCESSFUL, ok.getStatus(), () -> ok.getThrowable().map(Throwable::toString).orElse(""));
        for (String t : List.of("nestedRunsInTheSameBoot()", "arch a", "arch b")) {
            assertEquals(TestExecutionResult.Status.SUCCESSFUL, results.get(t).getStatus(), t);
        }
        TestExecutionResult failed = results.get("failsInTheGuest()");
        assertEquals(TestExecutionResult.Status.FAILED, failed.getStatus());
        String msg = failed.getThrowable().orElseThrow().getMessage();
        assertTrue(msg.startsWith("in the pSeries guest: ") && msg.contains("a deliberate failure")
                && msg.contains("guest console:") && msg.contains("--- guest stack trace ---"), msg);
        TestExecutionResult aborted = results.get("abortsInTheGuest()");
        assertEquals(TestExecutionResult.Status.ABORTED, aborted.getStatus());
        assertTrue(aborted.getThrowable().orElseThrow().getMessage().contains("a deliberate skip"));
    }
}
