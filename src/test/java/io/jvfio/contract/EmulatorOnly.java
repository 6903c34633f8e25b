package io.jvfio.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A contract test that must never reach the real kernel: it would crash the guest (a v2 MAP_DMA
 * crossing the end of a window oopses 6.12), poison the rest of the boot (a DDW create that fails
 * in RTAS puts the PE on pSeries' sticky failed-DDW list), or has not been shown safe there yet.
 * The kernel variant is skipped with {@link #value()} as the visible reason; the emulator variants
 * run normally.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag("emulator-only")
public @interface EmulatorOnly {
    /** Why the real kernel must not run it. */
    String value();
}
