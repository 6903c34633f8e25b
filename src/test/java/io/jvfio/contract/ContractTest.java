package io.jvfio.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One test body, run once per backend of the table in {@link Backends} (emulated-ppc64le,
 * emulated-x86_64, kernel), like the fixture variants of Linux's
 * {@code tools/testing/selftests/vfio}. The method takes a {@link Fixture}: a fresh one per run,
 * closed after it, that leaves the kernel clean.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(Backends.class)
public @interface ContractTest {}
