package io.jvfio.junit;

import io.jvfio.IommuType;
import io.jvfio.emul.Profile;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test against an emulated pSeries VFIO platform, so a userspace driver's unit tests run on any
 * host (no POWER machine, no /dev/vfio, no root). Parameters of the test method (and of its
 * {@code @BeforeEach}/{@code @AfterEach} methods) of these types are injected:
 * <ul>
 *   <li>{@link io.jvfio.Vfio} over a fresh {@link io.jvfio.emul.EmulatedBackend} of {@link #profile()};</li>
 *   <li>{@link io.jvfio.Container}, with group {@link #group()} attached and the IOMMU type
 *       {@link #iommu()} set (SPAPR v2 by default; see {@link #attach()} and {@link #setIommu()});</li>
 *   <li>{@link io.jvfio.Group}: that group;</li>
 *   <li>{@link io.jvfio.Device}: the devices named in {@link #devices()}, opened in order, one per
 *       {@code Device} parameter (the first parameter gets the first address); with no addresses, the
 *       group's first device;</li>
 *   <li>{@link io.jvfio.toolkit.DmaSession}: a session over that container (default options), planned
 *       for the profile's platform;</li>
 *   <li>{@link io.jvfio.emul.EmulatedBackend} and {@link io.jvfio.emul.Profile}, to inspect the model.</li>
 * </ul>
 * Everything is created fresh for each test and closed after it in the order session, devices, group,
 * container, platform. On a class, the annotation applies to every test method; on a method, it
 * overrides the class's.
 *
 * <pre>{@code
 * @EmulatedVfio(profile = "sriov-vf")
 * class MyDriverTest {
 *     @Test
 *     void roundTrip(DmaSession session, Device dev) throws Exception { ... }
 * }
 * }</pre>
 *
 * junit-jupiter-api is an optional dependency of jvfio: add it (test scope) to use this.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(EmulatedVfioExtension.class)
public @interface EmulatedVfio {
    /**
     * A predefined profile: {@code qemu-pseries}, {@code qemu-pseries-2phb}, {@code sriov-vf}, {@code no-ddw}, {@code big-window}, {@code qemu-pseries-nvme} (edu in group 0, an NVMe
     * controller with a 64 MiB namespace in group 1), {@code qemu-pseries-topology} (edu in groups 0 and 1 on
     * two PHBs, a three-function edu {@code 0002:00:00.0}..{@code .2} in group 2), {@code qemu-pseries-topology-nvme}
     * (that plus a two-function NVMe {@code 0003:00:00.0} and {@code .1} in group 3).
     *
     * @return the value for this test
     */
    String profile() default Profile.QEMU_PSERIES;

    /**
     * A custom platform instead of {@link #profile()}: a class with a public no-argument constructor
     * whose {@code get()} builds the profile, e.g. with {@link Profile#builder()}.
     *
     * @return the supplier class, or {@link NoCustomProfile} for none
     */
    Class<? extends Supplier<Profile>> custom() default NoCustomProfile.class;

    /**
     * The PCI addresses of the devices to open, one per {@code Device} parameter, in order.
     *
     * @return the value for this test
     */
    String[] devices() default {};

    /**
     * The IOMMU group to open and attach.
     *
     * @return the value for this test
     */
    int group() default 0;

    /**
     * Attach the group to the container ({@code VFIO_GROUP_SET_CONTAINER}).
     *
     * @return the value for this test
     */
    boolean attach() default true;

    /**
     * Set {@link #iommu()} on the container (needs {@link #attach()}); devices can only be opened after it.
     *
     * @return the value for this test
     */
    boolean setIommu() default true;

    /**
     * The IOMMU type to set: SPAPR v2 by default. v1 containers also need {@code enable()} before mapping.
     *
     * @return the value for this test
     */
    IommuType iommu() default IommuType.SPAPR_TCE_V2;

    /** The default of {@link #custom()}: no custom profile. */
    final class NoCustomProfile implements Supplier<Profile> {
        /** The marker instance; never asked for a profile. */
        public NoCustomProfile() {}

        @Override
        public Profile get() {
            throw new UnsupportedOperationException();
        }
    }
}
