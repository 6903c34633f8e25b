package io.jvfio.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioPermissionException;
import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import org.junit.jupiter.api.Test;

/** The advice of every error an unprivileged user meets: the limit in force, the amount needed, the fix. */
class LeastPrivilegeErrorsTest {
    private static final long M = 1 << 20;

    private static Vfio as(long memlock, DeviceNode node) {
        Profile.Builder b = Profile.builder().memlockLimitBytes(memlock).credentials(Credentials.user(1000, 1000));
        if (node != null) {
            b.groupNode(0, node);
        }
        return Vfio.over(new EmulatedBackend(b.build()));
    }

    /** Group 0 in a fresh container of type {@code t}; the Vfio closes both. */
    private static Container attached(Vfio vfio, IommuType t) throws VfioException {
        Group g = vfio.openGroup(0);
        Container c = vfio.openContainer();
        g.attach(c);
        c.setIommu(t);
        return c;
    }

    private static void contains(String text, String... parts) {
        for (String p : parts) {
            assertTrue(text.contains(p), () -> "'" + p + "' missing from: " + text);
        }
    }

    @Test
    void openWithoutPermissionNamesTheNodeTheUserAndTheUdevRule() {
        try (Vfio vfio = as(Profile.UNLIMITED, null)) {
            VfioPermissionException e = assertThrows(VfioPermissionException.class, () -> vfio.openGroup(0));
            assertEquals("EACCES", e.errnoName());
            contains(e.advice(), "/dev/vfio/0 is 0:0 0600", "runs as uid 1000",
                    "SUBSYSTEM==\"vfio\", KERNEL==\"0\", OWNER=\"1000\", MODE=\"0600\"", "udevadm trigger",
                    "chown 1000 /dev/vfio/0", "LimitMEMLOCK=");
        }
    }

    @Test
    void registerOverTheLimitNamesLimitNeedAndFix() throws Exception {
        try (Vfio vfio = as(8 * M, new DeviceNode(1000, 1000, 0600))) {
            Container c = attached(vfio, IommuType.SPAPR_TCE_V2);
            DmaBuffer small = vfio.allocate(2 * M, false);
            c.registerMemory(small.segment());
            DmaBuffer big = vfio.allocate(16 * M, false);
            VfioException e = assertThrows(VfioException.class, () -> c.registerMemory(big.segment()));
            assertEquals("ENOMEM", e.errnoName());
            contains(e.advice(), "this VFIO_IOMMU_SPAPR_REGISTER_MEMORY needs 16MiB of locked memory",
                    "RLIMIT_MEMLOCK is 8MiB and 2MiB is locked already", "at least 18MiB", "ulimit -l 18432",
                    "LimitMEMLOCK=18432K", "memlock 18432", "/etc/security/limits.conf", "CAP_IPC_LOCK");
        }
    }

    @Test
    void createOverTheLimitNamesTheTableCharge() throws Exception {
        try (Vfio vfio = as(8 * M, new DeviceNode(1000, 1000, 0600))) {
            Container c = attached(vfio, IommuType.SPAPR_TCE_V2);
            VfioException e = assertThrows(VfioException.class, () -> c.createWindow(12, 1L << 34, 1));
            assertEquals("ENOMEM", e.errnoName());
            contains(e.advice(), "this VFIO_IOMMU_SPAPR_TCE_CREATE needs 32MiB", "RLIMIT_MEMLOCK is 8MiB");
        }
    }

    @Test
    void v1EnableNamesTheDefaultWindow() throws Exception {
        try (Vfio vfio = as(64 * M, new DeviceNode(1000, 1000, 0600))) {
            Container c = attached(vfio, IommuType.SPAPR_TCE_V1);
            VfioException e = assertThrows(VfioException.class, c::enable);
            contains(e.advice(), "this VFIO_IOMMU_ENABLE needs 1GiB", "RLIMIT_MEMLOCK is 64MiB", "ulimit -l 1048576");
        }
    }
}
