package io.jvfio.contract;

import io.jvfio.abi.Arch;
import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The table of backends every {@link ContractTest} runs over.
 *
 * <ol>
 *   <li>{@code emulated-ppc64le}: the emulator of the QEMU pSeries guest, speaking ppc64le request
 *       numbers;</li>
 *   <li>{@code emulated-x86_64}: the same platform, x86-64 request numbers (the emulator must
 *       dispatch on the encoded number, not on the typed method);</li>
 *   <li>{@code kernel}: the running kernel, only where {@code /dev/vfio/vfio} and group 0 exist (the
 *       QEMU pSeries guest of {@code make test-guest}); elsewhere skipped with the reason.</li>
 * </ol>
 *
 * Each emulated run gets a fresh emulator; the kernel runs share the one kernel, which is why every
 * {@link Fixture} tears down what it set up. {@code -Djvfio.contract.variants=kernel} (a comma list)
 * restricts the table, e.g. in the guest.
 */
public final class Backends implements TestTemplateInvocationContextProvider {

    /** The rows of the table. */
    public enum Variant {
        EMULATED_PPC64LE("emulated-ppc64le"),
        EMULATED_X86_64("emulated-x86_64"),
        KERNEL("kernel");

        private final String id;

        Variant(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public boolean emulated() {
            return this != KERNEL;
        }

        /** A fresh emulator, or the process-wide kernel backend. */
        VfioBackend backend() {
            return backend(Profile.QEMU_PSERIES);
        }

        /**
         * A fresh emulator of the named profile (under the {@link UnprivilegedStage} when one is set), or
         * the process-wide kernel backend.
         */
        VfioBackend backend(String profile) {
            return switch (this) {
                case EMULATED_PPC64LE -> new EmulatedBackend(UnprivilegedStage.applyCurrent(Profile.named(profile)), Arch.PPC64LE);
                case EMULATED_X86_64 -> new EmulatedBackend(UnprivilegedStage.applyCurrent(Profile.named(profile)), Arch.X86_64);
                case KERNEL -> KernelHolder.KERNEL;
            };
        }

        public static Variant parse(String s) {
            String k = s.trim().toLowerCase(Locale.ROOT);
            for (Variant v : values()) {
                if (v.id.equals(k)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown backend variant '" + s + "'; use "
                    + Arrays.stream(values()).map(Variant::id).toList());
        }
    }

    /** Why the kernel variant cannot run here, or empty when it can. */
    public static Optional<String> kernelUnavailable() {
        if (!Files.exists(Path.of(Fixture.CONTAINER_PATH))) {
            return Optional.of("no " + Fixture.CONTAINER_PATH + " on this host: the kernel variant runs in the QEMU"
                    + " pSeries guest (make test-guest)");
        }
        if (!Files.exists(Path.of(Fixture.GROUP_PATH))) {
            return Optional.of("no " + Fixture.GROUP_PATH + " on this host: the kernel variant needs IOMMU group 0"
                    + " (the edu device bound to vfio-pci, as in the QEMU pSeries guest of make test-guest)");
        }
        return Optional.empty();
    }

    private static final class KernelHolder {
        static final VfioBackend KERNEL = new KernelBackend();
    }

    static List<Variant> selected() {
        // jvfio.backends is what the in-guest runner sets for every backend-table suite.
        String p = System.getProperty("jvfio.contract.variants", System.getProperty("jvfio.backends", "")).trim();
        if (p.isEmpty()) {
            return List.of(Variant.values());
        }
        return Arrays.stream(p.split(",")).filter(s -> !s.isBlank()).map(Variant::parse).toList();
    }

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return true;
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        return selected().stream().map(Invocation::new);
    }

    private record Invocation(Variant variant) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return "[" + variant.id() + "]";
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new FixtureExtension(variant));
        }
    }

    /** Opens the fixture before the test (or skips it, with the reason), closes it after. */
    private static final class FixtureExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
        private final Variant variant;
        private Fixture fixture;

        FixtureExtension(Variant variant) {
            this.variant = variant;
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            if (variant == Variant.KERNEL) {
                Optional<String> why = kernelUnavailable();
                Assumptions.assumeTrue(why.isEmpty(), () -> why.orElseThrow());
                Method m = context.getRequiredTestMethod();
                Optional<EmulatorOnly> only = AnnotationSupport.findAnnotation(m, EmulatorOnly.class)
                        .or(() -> AnnotationSupport.findAnnotation(context.getRequiredTestClass(), EmulatorOnly.class));
                Assumptions.assumeTrue(only.isEmpty(), () -> "emulator-only: " + only.orElseThrow().value());
            }
            String profile = AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), EmulatorProfile.class)
                    .or(() -> AnnotationSupport.findAnnotation(context.getRequiredTestClass(), EmulatorProfile.class))
                    .map(EmulatorProfile::value).orElse(Profile.QEMU_PSERIES);
            boolean anyPageSize = AnnotationSupport.isAnnotated(context.getRequiredTestMethod(), AnyPageSize.class)
                    || AnnotationSupport.isAnnotated(context.getRequiredTestClass(), AnyPageSize.class);
            fixture = Fixture.open(variant, profile, anyPageSize);
        }

        @Override
        public void afterEach(ExtensionContext context) {
            if (fixture != null) {
                Fixture f = fixture;
                fixture = null;
                f.close();
            }
        }

        @Override
        public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
            return parameterContext.getParameter().getType() == Fixture.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
            if (fixture == null) {
                throw new ParameterResolutionException("no fixture for " + variant.id());
            }
            return fixture;
        }
    }
}
