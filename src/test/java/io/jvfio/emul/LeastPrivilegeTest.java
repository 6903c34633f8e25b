package io.jvfio.emul;

import static io.jvfio.backend.Errno.EACCES;
import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOMEM;
import static io.jvfio.emul.Emu.G;
import static io.jvfio.emul.Emu.M;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.Credentials.Capability;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The process's credentials and limits: the open permission check and {@code account_locked_vm}. */
class LeastPrivilegeTest {
    private static final Credentials USER = Credentials.user(1000, 1000);

    private static Profile unprivileged(long memlock) {
        return Profile.builder().memlockLimitBytes(memlock).credentials(USER)
                .groupNode(0, new DeviceNode(1000, 1000, 0600)).build();
    }

    @Test
    void groupNodeAsTheKernelCreatesItDeniesAUser() {
        try (Emu e = new Emu(Profile.builder().credentials(USER).build())) {
            assertEquals(-EACCES, e.openGroup(0), "root:root 0600 and no CAP_DAC_OVERRIDE");
            assertEquals(-ENOENT, e.openGroup(9), "no node: ENOENT comes before the permission check");
            assertTrue(e.container >= 0, "/dev/vfio/vfio is 0666");
        }
    }

    @Test
    void handedOverNodeOpens() {
        try (Emu e = new Emu(unprivileged(Profile.UNLIMITED))) {
            int g = e.openGroup(0);
            assertTrue(g >= 0, "owner 1000 rw");
            assertEquals(-EBUSY, e.openGroup(0), "the permission check passes, vfio_group_fops_open says busy");
        }
    }

    @Test
    void groupAndOtherBitsAndDacOverride() {
        Profile viaGroup = Profile.builder().credentials(new Credentials(1000, 1000, Set.of(27), Set.of()))
                .groupNode(0, new DeviceNode(0, 27, 0660)).build();
        try (Emu e = new Emu(viaGroup)) {
            assertTrue(e.openGroup(0) >= 0, "a supplementary group with rw");
        }
        Profile readOnly = Profile.builder().credentials(USER).groupNode(0, new DeviceNode(1000, 0, 0400)).build();
        try (Emu e = new Emu(readOnly)) {
            assertEquals(-EACCES, e.openGroup(0), "O_RDWR needs both bits");
        }
        Profile other = Profile.builder().credentials(USER).groupNode(0, new DeviceNode(0, 0, 0666)).build();
        try (Emu e = new Emu(other)) {
            assertTrue(e.openGroup(0) >= 0, "the other bits");
        }
        Profile dac = Profile.builder().credentials(USER.with(Capability.CAP_DAC_OVERRIDE)).build();
        try (Emu e = new Emu(dac)) {
            assertTrue(e.openGroup(0) >= 0, "CAP_DAC_OVERRIDE ignores the mode");
        }
    }

    @Test
    void capIpcLockBypassesTheLimitButStillCounts() {
        try (Emu e = new Emu(Profile.builder().memlockLimitBytes(8 * M).build())) {
            e.setup(7);
            MemorySegment buf = e.alloc(16 * M, false);
            assertEquals(0, e.register(buf), "root has CAP_IPC_LOCK");
            assertEquals(16 * M, e.state().lockedVmBytes());
        }
    }

    @Test
    void registerAtTheLimit() {
        try (Emu e = new Emu(unprivileged(8 * M))) {
            e.setup(7);
            MemorySegment buf = e.alloc(16 * M, false);
            assertEquals(0, e.register(buf.address(), 8 * M), "exactly the limit");
            assertEquals(8 * M, e.state().lockedVmBytes());
            assertEquals(-ENOMEM, e.register(buf.address() + 8 * M, 4096), "one page over");
            assertEquals(0, e.unregister(buf.address(), 8 * M));
            assertEquals(0, e.state().lockedVmBytes(), "the last put un-charges");
        }
    }

    @Test
    void failedRegisterGivesItsChargeBack() {
        try (Emu e = new Emu(unprivileged(64 * M))) {
            e.setup(7);
            MemorySegment buf = e.alloc(8 * M, false);
            assertEquals(0, e.register(buf.address(), 4 * M));
            assertEquals(-EINVAL, e.register(buf.address() + 2 * M, 4 * M), "overlap, after charging and pinning");
            assertEquals(4 * M, e.state().lockedVmBytes(), "mm_iommu_do_alloc's unlock_exit un-charges");
            assertEquals(-EFAULT, e.register(0x10000, 4096), "nothing mapped there: pinning fails");
            assertEquals(4 * M, e.state().lockedVmBytes());
        }
    }

    @Test
    void failedCreateKeepsItsCharge() {
        try (Emu e = new Emu(unprivileged(4 * G + M))) {
            e.setup(7);
            assertEquals(0, e.create(16, 4 * G, 1), "the default window's 2 MiB table, then this one's 512 KiB");
            long before = e.state().lockedVmBytes();
            assertEquals(2 * M + 512 * 1024, before);
            assertEquals(0, e.remove(0));
            assertEquals(512 * 1024, e.state().lockedVmBytes(), "REMOVE un-charges the table");
            assertEquals(-EINVAL, e.create(16, 4 * G, 2), "create_table refuses levels > 1 after the charge");
            assertEquals(512 * 1024 + 0xfffffL * 4096, e.state().lockedVmBytes(), "never given back");
            MemorySegment buf = e.alloc(M, false);
            assertEquals(-ENOMEM, e.register(buf), "the leaked charge counts against the limit");
        }
    }

    @Test
    void v1EnableChargesTheWholeDefaultWindow() {
        try (Emu e = new Emu(unprivileged(G - 4096))) {
            e.setup(2);
            assertEquals(-ENOMEM, e.be.iommuEnable(e.container));
            assertEquals(0, e.state().lockedVmBytes());
        }
        try (Emu e = new Emu(unprivileged(G))) {
            e.setup(2);
            assertEquals(0, e.be.iommuEnable(e.container));
            assertEquals(G, e.state().lockedVmBytes(), "tce32_size >> PAGE_SHIFT pages");
            assertEquals(0, e.be.iommuDisable(e.container));
            assertEquals(0, e.state().lockedVmBytes());
        }
    }

    @Test
    void badNodeAndCredentials() {
        assertThrows(IllegalArgumentException.class, () -> new DeviceNode(0, 0, 01777));
        assertThrows(IllegalArgumentException.class, () -> Credentials.user(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> Profile.builder().groupNode(5, DeviceNode.ROOT_0600));
    }
}
