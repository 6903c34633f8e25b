package io.jvfio.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The emulator profile the emulated variants of a contract test (or class) run on, instead of
 * {@code qemu-pseries}. The kernel variant is unaffected: it runs on whatever the guest is.
 * {@code ObservedTraceTest} uses it to replay the recorded trace on {@code qemu-pseries-slof}, the
 * firmware the trace was taken under.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface EmulatorProfile {
    /** A name {@link io.jvfio.emul.Profile#named} knows. */
    String value();
}
