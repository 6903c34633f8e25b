package io.jvfio.harness.guest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
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
 * Not a test of anything: the training workload for the guest JVM's AOT cache
 * ({@code io.jvfio.harness.GuestCds}). Running it under the guest's JVM loads the JUnit classes a real
 * run needs (discovery, lifecycle, assertions, assumptions, nesting, dynamic tests) and jvfio's FFM
 * downcalls, which then come from the cache instead of being parsed, verified and linked again under
 * TCG. Every test passes or is skipped on purpose.
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

    /**
     * Binds jvfio's libc downcalls and makes one ioctl on a closed fd (EBADF), by name so that the runner
     * needs no jvfio class: the cache replaces the runtime's FFM-trained default archive.
     */
    @Test
    void ffmDowncalls() throws ReflectiveOperationException {
        Class<?> libc;
        try {
            libc = Class.forName("io.jvfio.backend.kernel.LibC");
        } catch (ClassNotFoundException e) {
            Assumptions.abort("no jvfio on the classpath");
            return;
        }
        Object r = libc.getMethod("ioctl", int.class, long.class, MemorySegment.class).invoke(null, -1, 0L,
                MemorySegment.NULL);
        assertTrue((int) r < 0, "an ioctl on fd -1 fails");
    }

    @Nested
    class Inner {
        @Test
        void nested() {
            assertEquals(1, counter);
        }
    }
}
