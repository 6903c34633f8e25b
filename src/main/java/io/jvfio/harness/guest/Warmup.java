package io.jvfio.harness.guest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Not a test of anything: the training workload for the guest's class-data-sharing archive
 * ({@code io.jvfio.harness.GuestCds}). Running it under the guest's JVM loads the JUnit classes a real
 * run needs (discovery, lifecycle, assertions, assumptions, nesting, dynamic tests), which then come
 * from the archive instead of being parsed and verified again under TCG. Every test passes or is
 * skipped on purpose.
 */
@Tag("harness-warmup")
@DisplayName("harness warm-up")
public class Warmup {
    private int counter;

    @BeforeAll
    static void once() {
        System.getProperty("java.version");
    }

    @BeforeEach
    void before() {
        counter = 1;
    }

    @AfterEach
    void after() {
        counter = 0;
    }

    @Test
    void assertions() {
        assertAll(() -> assertEquals(1, counter), () -> assertTrue(counter > 0),
                () -> assertEquals("a", String.valueOf('a'), () -> "message supplier"));
        assertThrows(IllegalStateException.class, () -> {
            throw new IllegalStateException("expected");
        });
    }

    @Test
    void assumptionAborts() {
        Assumptions.assumeTrue(counter == 2, "aborted on purpose");
    }

    @Test
    @Disabled("skipped on purpose")
    void disabled() {}

    @TestFactory
    Stream<DynamicTest> dynamic() {
        return List.of(1, 2).stream().map(i -> DynamicTest.dynamicTest("n=" + i, () -> assertTrue(i > 0)));
    }

    @Nested
    class Inner {
        @Test
        void nested() {
            assertEquals(1, counter);
        }
    }
}
