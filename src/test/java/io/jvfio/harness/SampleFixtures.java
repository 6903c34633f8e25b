package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fixtures for {@link GuestTestMainTest}: one of each outcome. The class name matches none of
 * surefire's test patterns, so the normal run leaves them alone (one fails on purpose);
 * GuestTestMainTest selects them directly.
 */
class SampleFixtures {
    @Test
    void passes() {
        assertEquals("on", System.getProperty("jvfio.test.sample"));
    }

    @Test
    void fails() {
        assertEquals(1, 2);
    }

    @Test
    void aborts() {
        Assumptions.abort("nope");
    }

    @Test
    @Disabled("off")
    void disabled() {}

    @ParameterizedTest
    @ValueSource(ints = 7)
    void param(int x) {
        assertEquals(7, x);
    }
}
