package io.jvfio.contract;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A contract test (or class) whose kernel variant also runs on a kernel whose PAGE_SIZE is not the
 * default platform's 4 KiB: Debian's {@code -powerpc64le-64k} flavour ({@code make test-guest-64k}).
 * Only for tests that take their sizes from the public API (buffers it allocates, windows it reports)
 * and not from the 4 KiB kernel's recorded answers; without it the kernel variant is skipped there.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface AnyPageSize {}
