package io.jvfio.harness.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class inside a fresh QEMU pSeries guest (ppc64le, the real Linux kernel, TCG: any host)
 * and reports every test's guest result as the host test's result, so an IDE and Surefire show the
 * guest's passes, failures (with the guest's message and stack trace) and skips under the usual names.
 *
 * <p>On the host the class's tests, {@code @BeforeEach} and friends do not run: one guest boot per
 * class runs the whole class there with jvfio's in-guest runner
 * ({@link io.jvfio.harness.guest.GuestTestMain}), from the test classpath (the class directories, and
 * the jars named by {@link #jars()} plus jvfio's own and JUnit's). In the guest the tests run normally
 * against {@code /dev/vfio}; a {@link io.jvfio.Vfio} parameter gets {@link io.jvfio.Vfio#kernel()}
 * there. The console is kept under {@code target/guest-console} when anything fails. {@code @Nested}
 * classes run in their outer class's boot; a {@code @TestFactory}'s dynamic tests are the ones the
 * guest generated, each with its guest verdict.
 *
 * <pre>{@code
 * @PseriesGuest(devices = "edu")
 * class MyDriverGuestTest {
 *     @Test
 *     void factorial(Vfio vfio) throws Exception { ... }
 * }
 * }</pre>
 *
 * When the guest cannot boot here (no QEMU, no Docker for {@code launcher = "testcontainers"}) every
 * test is skipped with the reason; {@code -Djvfio.guest=required} fails them instead, and
 * {@code -Djvfio.guest=off} skips them. The first use builds the guest images
 * ({@link io.jvfio.harness.GuestImages#ensure}). junit-jupiter-api is an optional dependency of jvfio.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PseriesGuestExtension.class)
public @interface PseriesGuest {
    /** The guest kernel choice: {@code 6.12}, {@code newest} or {@code 6.1} (see {@link io.jvfio.harness.GuestSetup#KERNELS}). */
    String kernel() default "6.12";

    /**
     * The kernel's page size: {@code 4k} (default, Debian's {@code -powerpc64le}) or {@code 64k} (its
     * {@code -powerpc64le-64k}, as RHEL and SLES on POWER run), for 6.12 and newest.
     */
    String pageSize() default "4k";

    /** The guest's PCI devices, as {@code jvfio guest --device} spells them, e.g. {@code "edu"}. */
    String[] devices() default {};

    /** PCI host bridges; device {@code i} sits on PHB {@code i % phbs}. */
    int phbs() default 1;

    /** Guest RAM. */
    String memory() default "2G";

    /** The bound on the boot and the whole class's run, in seconds. */
    long timeoutSeconds() default 600;

    /** Where QEMU runs: {@code host} or {@code testcontainers} (needs Testcontainers on the test classpath). */
    String launcher() default "host";

    /**
     * Extra jars of the test classpath to ship, by file-name prefix (e.g. {@code "assertj-core"}); jvfio's,
     * JUnit's and their dependencies always go.
     */
    String[] jars() default {};

    /** System properties of the guest JVM, {@code key=value}. */
    String[] systemProperties() default {};
}
