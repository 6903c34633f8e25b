package io.jvfio.junit;

import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.Group;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.GroupSpec;
import io.jvfio.emul.Profile;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.SessionOptions;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Executable;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link EmulatedVfio}: resolves {@code Vfio}, {@code Container}, {@code Group},
 * {@code Device}, {@code DmaSession}, {@code EmulatedBackend} and {@code Profile} parameters from one
 * emulated platform per test, and closes it after each test. Can also be registered directly with
 * {@code @ExtendWith(EmulatedVfioExtension.class)}; then the {@link EmulatedVfio} defaults apply.
 */
public final class EmulatedVfioExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(EmulatedVfioExtension.class);
    private static final String KEY = "platform";
    private static final Set<Class<?>> TYPES = Set.of(Vfio.class, Container.class, Group.class, Device.class,
            DmaSession.class, EmulatedBackend.class, Profile.class);

    /** The extension, as JUnit instantiates it. */
    public EmulatedVfioExtension() {}

    @EmulatedVfio
    private static final class Defaults {}

    /** One test's emulated platform and the objects opened on it. */
    static final class Platform implements AutoCloseable {
        final EmulatedVfio config;
        final Profile profile;
        final EmulatedBackend backend;
        final Vfio vfio;
        Container container;
        Group group;
        final List<Device> devices = new ArrayList<>();
        DmaSession session;

        Platform(EmulatedVfio config) {
            this.config = config;
            this.profile = profile(config);
            this.backend = new EmulatedBackend(profile);
            this.vfio = Vfio.over(backend);
        }

        private static Profile profile(EmulatedVfio c) {
            if (c.custom() != EmulatedVfio.NoCustomProfile.class) {
                try {
                    return c.custom().getDeclaredConstructor().newInstance().get();
                } catch (ReflectiveOperationException e) {
                    throw new ParameterResolutionException("@EmulatedVfio(custom = " + c.custom().getName()
                            + "): needs a public no-argument constructor", e);
                }
            }
            return Profile.named(c.profile());
        }

        void openContainer() throws VfioException {
            if (container != null) {
                return;
            }
            container = vfio.openContainer();
            group = vfio.openGroup(config.group());
            if (config.attach()) {
                group.attach(container);
                if (config.setIommu()) {
                    container.setIommu(config.iommu());
                }
            }
        }

        Device device(int ordinal) throws VfioException {
            openContainer();
            while (devices.size() <= ordinal) {
                devices.add(group.openDevice(address(devices.size())));
            }
            return devices.get(ordinal);
        }

        private String address(int ordinal) {
            String[] named = config.devices();
            if (ordinal < named.length) {
                return named[ordinal];
            }
            if (named.length == 0 && ordinal == 0) {
                GroupSpec g = profile.group(config.group());
                if (g != null) {
                    return g.devices().getFirst().pciAddress();
                }
            }
            List<String> known = new ArrayList<>();
            profile.groups().forEach(g -> g.devices().stream().map(DeviceSpec::pciAddress).forEach(known::add));
            throw new ParameterResolutionException("@EmulatedVfio: Device parameter #" + (ordinal + 1)
                    + " has no address: list it in devices = {...} (the profile's devices: " + known + ")");
        }

        DmaSession session() throws VfioException {
            if (session == null) {
                openContainer();
                session = DmaSession.over(container, SessionOptions.defaults());
            }
            return session;
        }

        @Override
        public void close() {
            RuntimeException first = null;
            for (AutoCloseable c : closeOrder()) {
                try {
                    c.close();
                } catch (Exception e) {
                    if (first == null) {
                        first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }

        private List<AutoCloseable> closeOrder() {
            List<AutoCloseable> l = new ArrayList<>();
            if (session != null) {
                l.add(session);
            }
            l.addAll(devices.reversed());
            if (group != null) {
                l.add(group);
            }
            if (container != null) {
                l.add(container);
            }
            l.add(vfio);
            return l;
        }
    }

    static EmulatedVfio config(ExtensionContext context) {
        Optional<EmulatedVfio> m = context.getTestMethod()
                .flatMap(x -> AnnotationSupport.findAnnotation(x, EmulatedVfio.class));
        if (m.isPresent()) {
            return m.get();
        }
        for (Class<?> c = context.getTestClass().orElse(null); c != null; c = c.getEnclosingClass()) {
            Optional<EmulatedVfio> a = AnnotationSupport.findAnnotation((AnnotatedElement) c, EmulatedVfio.class);
            if (a.isPresent()) {
                return a.get();
            }
        }
        return Defaults.class.getAnnotation(EmulatedVfio.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return ec.getTestMethod().isPresent() && TYPES.contains(pc.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        Platform p = ec.getStore(NS).getOrComputeIfAbsent(KEY, k -> new Platform(config(ec)), Platform.class);
        Class<?> type = pc.getParameter().getType();
        try {
            if (type == Vfio.class) {
                return p.vfio;
            }
            if (type == EmulatedBackend.class) {
                return p.backend;
            }
            if (type == Profile.class) {
                return p.profile;
            }
            if (type == Container.class) {
                p.openContainer();
                return p.container;
            }
            if (type == Group.class) {
                p.openContainer();
                return p.group;
            }
            if (type == DmaSession.class) {
                return p.session();
            }
            return p.device(deviceOrdinal(pc));
        } catch (VfioException e) {
            throw new ParameterResolutionException("@EmulatedVfio (" + p.profile.name() + "): cannot provide a "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Which Device parameter this is: 0 for the first {@code Device} of the method, 1 for the second... */
    private static int deviceOrdinal(ParameterContext pc) {
        Executable x = pc.getDeclaringExecutable();
        Parameter[] ps = x.getParameters();
        int n = 0;
        for (int i = 0; i < pc.getIndex(); i++) {
            if (ps[i].getType() == Device.class) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void afterEach(ExtensionContext ec) {
        Platform p = ec.getStore(NS).remove(KEY, Platform.class);
        if (p != null) {
            p.close();
        }
    }
}
