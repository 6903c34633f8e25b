package io.jvfio.harness.junit;

import io.jvfio.Vfio;
import io.jvfio.harness.ConsoleArchive;
import io.jvfio.harness.DeviceSpec;
import io.jvfio.harness.GuestException;
import io.jvfio.harness.GuestImages;
import io.jvfio.harness.GuestLauncher;
import io.jvfio.harness.GuestLaunchers;
import io.jvfio.harness.GuestResult;
import io.jvfio.harness.GuestRun;
import io.jvfio.harness.GuestSetup;
import io.jvfio.harness.GuestTestCase;
import io.jvfio.harness.GuestTestResults;
import io.jvfio.harness.GuestTestRun;
import io.jvfio.harness.GuestUnavailableException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * The extension behind {@link PseriesGuest}. On the host ({@link #INSIDE} unset) it boots the guest
 * once per class in {@code beforeAll}, and replaces every test invocation by the guest's verdict for
 * the same JUnit unique id; lifecycle methods are skipped. In the guest it only resolves {@code Vfio}
 * parameters to the kernel's VFIO.
 */
public final class PseriesGuestExtension implements BeforeAllCallback, InvocationInterceptor, ParameterResolver {
    /** The guest JVM's system property that says "you are the guest": tests run for real. */
    public static final String INSIDE = "jvfio.guest.inside";
    /** Jar name prefixes always shipped besides {@link GuestTestRun#DEFAULT_JARS}: jvfio itself. */
    static final List<String> JVFIO_JARS = List.of("jvfio-");
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PseriesGuestExtension.class);

    /** What the class's boot produced: the per-test verdicts, or why there are none. */
    record Verdicts(Map<String, GuestTestCase> byUid, String unavailable, String failure, String console) {}

    static boolean inside() {
        return Boolean.getBoolean(INSIDE);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (inside()) {
            return;
        }
        verdicts(context);
    }

    /** The verdicts of the annotated class's boot (stores are inherited: a nested class finds its outer's). */
    private static Verdicts verdicts(ExtensionContext context) {
        Class<?> owner = annotated(context.getRequiredTestClass());
        return context.getStore(NS).getOrComputeIfAbsent(owner.getName(), k -> boot(owner), Verdicts.class);
    }

    static Verdicts boot(Class<?> testClass) {
        PseriesGuest cfg = AnnotationSupport.findAnnotation(testClass, PseriesGuest.class).orElseThrow();
        String mode = System.getProperty("jvfio.guest", "auto").strip().toLowerCase(Locale.ROOT);
        if (mode.equals("off") || mode.equals("false")) {
            return new Verdicts(Map.of(), "guest tests are off (-Djvfio.guest=" + mode + ")", null, null);
        }
        String name = "pseries-" + testClass.getSimpleName().replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            GuestSetup setup = new GuestSetup(cfg.kernel(), Arrays.stream(cfg.devices()).map(DeviceSpec::parse).toList(),
                    cfg.phbs(), cfg.memory(), Duration.ofSeconds(cfg.timeoutSeconds()), GuestImages.Flavour.named(cfg.pageSize()));
            GuestLauncher launcher = GuestLaunchers.byName(cfg.launcher());
            // the images first, as jvfio guest does: as root their build also installs QEMU
            GuestImages images = setup.images();
            launcher.unavailableReason(setup.machine()).ifPresent(r -> {
                throw new GuestUnavailableException(r);
            });
            List<String> prefixes = Arrays.asList(cfg.jars());
            GuestTestRun.Builder b = GuestTestRun.builder(name).selectClass(testClass.getName())
                    .systemProperty(INSIDE, "true").cds(images, setup.flavour())
                    .jars(f -> GuestTestRun.defaultJar(f) || startsWithAny(f, JVFIO_JARS) || startsWithAny(f, prefixes));
            for (String kv : cfg.systemProperties()) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("@PseriesGuest(systemProperties): '" + kv + "' is not key=value");
                }
                b.systemProperty(kv.substring(0, eq), kv.substring(eq + 1));
            }
            GuestRun run = b.build();
            System.err.println("[guest] " + testClass.getName() + ": booting a pSeries guest (" + launcher.name()
                    + ", kernel " + cfg.kernel() + " " + cfg.pageSize() + ", devices " + Arrays.toString(cfg.devices()) + ")");
            GuestResult r = launcher.run(setup.machine(), images, run);
            GuestTestResults t = GuestTestResults.parse(r);
            String failure = t.complete() ? null : "the guest JVM ended without its summary (exit " + r.exitStatus() + ")";
            String console = failure != null || t.failed() > 0
                    ? ConsoleArchive.save(r, failure != null ? failure : t.countsLine()).toString() : null;
            System.err.println("[guest] " + testClass.getName() + ": " + t.countsLine() + " (" + r.timing() + ")");
            return new Verdicts(t.tests().stream().collect(Collectors.toMap(GuestTestCase::uid, Function.identity(), (a, c) -> c,
                    LinkedHashMap::new)),
                    null, failure, console);
        } catch (GuestUnavailableException e) {
            return new Verdicts(Map.of(), e.getMessage(), null, null);
        } catch (GuestException e) {
            return new Verdicts(Map.of(), null, e.getMessage(), null);
        }
    }

    /**
     * The class that carries the annotation: {@code testClass}, or for a {@code @Nested} class its nearest
     * annotated enclosing class, whose one boot runs the nested classes too.
     */
    static Class<?> annotated(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            if (AnnotationSupport.isAnnotated(c, PseriesGuest.class)) {
                return c;
            }
        }
        throw new IllegalStateException(testClass + " has no @PseriesGuest (register the extension through the annotation)");
    }

    private static boolean startsWithAny(String fileName, List<String> prefixes) {
        return fileName.endsWith(".jar") && prefixes.stream().anyMatch(fileName::startsWith);
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        verdict(invocation, context);
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        verdict(invocation, context);
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        hostSkips(invocation);
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        hostSkips(invocation);
    }

    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        hostSkips(invocation);
    }

    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        hostSkips(invocation);
    }

    private static void hostSkips(Invocation<Void> invocation) throws Throwable {
        if (inside()) {
            invocation.proceed();
        } else {
            invocation.skip(); // they ran in the guest, around the tests
        }
    }

    private void verdict(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        if (inside()) {
            invocation.proceed();
            return;
        }
        invocation.skip();
        Verdicts v = available(context);
        judge(v.byUid().get(context.getUniqueId()), v);
    }

    /**
     * A {@code @TestFactory}: on the host its dynamic tests are the guest's, one per test the guest ran
     * under this factory, each judged by its guest verdict.
     */
    @Override
    public <T> T interceptTestFactoryMethod(Invocation<T> invocation, ReflectiveInvocationContext<Method> ic,
            ExtensionContext context) throws Throwable {
        if (inside()) {
            return invocation.proceed();
        }
        invocation.skip();
        Verdicts v = available(context);
        String under = context.getUniqueId() + "/";
        String prefix = context.getDisplayName() + " ";
        List<DynamicTest> tests = v.byUid().values().stream().filter(c -> c.uid().startsWith(under))
                .map(c -> DynamicTest.dynamicTest(c.name().startsWith(prefix) ? c.name().substring(prefix.length()) : c.name(),
                        () -> judge(c, v)))
                .toList();
        if (tests.isEmpty()) {
            judge(null, v);
        }
        @SuppressWarnings("unchecked")
        T stream = (T) tests.stream(); // Jupiter takes a Stream whatever the factory declares
        return stream;
    }

    /** The class's verdicts; aborts (or, with -Djvfio.guest=required, fails) when the guest cannot run here. */
    private static Verdicts available(ExtensionContext context) {
        Verdicts v = verdicts(context);
        if (v.unavailable() != null) {
            boolean required = System.getProperty("jvfio.guest", "auto").strip().equalsIgnoreCase("required");
            System.err.println("[guest] " + (required ? "FAIL" : "SKIPPED") + ": " + context.getDisplayName() + ": " + v.unavailable());
            if (required) {
                throw new AssertionFailedError("the pSeries guest cannot run here (-Djvfio.guest=required): " + v.unavailable());
            }
            throw new TestAbortedException("the pSeries guest cannot run here: " + v.unavailable());
        }
        return v;
    }

    /** Passes, fails or aborts as the guest's test {@code c} did (null: the guest never reported it). */
    private static void judge(GuestTestCase c, Verdicts v) {
        String where = v.console() == null ? "" : " (guest console: " + v.console() + ")";
        if (c == null) {
            throw new AssertionFailedError("the guest did not report this test"
                    + (v.failure() != null ? ": " + v.failure() : "") + where);
        }
        if (c.failed()) {
            throw new AssertionFailedError("in the pSeries guest: " + c.reason() + where
                    + (c.trace() == null ? "" : "\n--- guest stack trace ---\n" + c.trace()));
        }
        if (c.skipped()) {
            throw new TestAbortedException("in the pSeries guest: " + c.reason());
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == Vfio.class;
    }

    /** The kernel's VFIO in the guest; on the host nothing (the method is never invoked there). */
    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        if (!inside()) {
            return null;
        }
        Vfio v = Vfio.kernel();
        ec.getStore(NS).put(pc.getDeclaringExecutable() + "#" + pc.getIndex(), v); // closed with the test (an AutoCloseable in the store)
        return v;
    }
}
