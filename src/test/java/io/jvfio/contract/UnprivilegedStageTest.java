package io.jvfio.contract;

import static io.jvfio.backend.Errno.EACCES;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENOMEM;
import static io.jvfio.contract.ErrnoAssert.assertErrno;
import static io.jvfio.contract.ErrnoAssert.assertHex;
import static io.jvfio.contract.ErrnoAssert.assertOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioPermissionException;
import io.jvfio.backend.LockedMemory;
import io.jvfio.backend.kernel.ProcessCredentials;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * What a service user meets, under the {@link UnprivilegedStage} only (skipped elsewhere, naming it):
 * the process really is unprivileged, a group node it does not own is EACCES with the udev-rule
 * advice, and each locked-memory charge point answers ENOMEM at the limit with advice naming the
 * limit, the amount and the fix, giving back (or not) its charge as the kernel does.
 */
@Tag("contract")
class UnprivilegedStageTest {

    private static UnprivilegedStage stage() {
        return UnprivilegedStage.current().orElseGet(() -> {
            Assumptions.abort("not under the unprivileged stage (make test-unprivileged sets -D" + UnprivilegedStage.UID + ")");
            return null;
        });
    }

    /** The group the tests below use: group 0, when the stage handed it over. */
    private static void requireGroup0(UnprivilegedStage s) {
        Assumptions.assumeTrue(s.groups().contains(0), () -> s + ": group 0 is not the user's in this phase");
    }

    private static void contains(String text, String... parts) {
        for (String p : parts) {
            assertTrue(text.contains(p), () -> "'" + p + "' missing from: " + text);
        }
    }

    private static String status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).strip().replaceAll("\\s+", " ");
            }
        }
        throw new AssertionError("no " + field + " in /proc/self/status");
    }

    private static String passwdName(int uid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 2 && f[2].equals(Integer.toString(uid))) {
                return f[0];
            }
        }
        return "uid " + uid;
    }

    @ContractTest
    void theProcessIsTheServiceUserWithoutCapabilities(Fixture f) throws IOException {
        UnprivilegedStage s = stage();
        LockedMemory m = f.b.lockedMemory();
        assertEquals(s.memlockBytes(), m.limitBytes(), "RLIMIT_MEMLOCK in force");
        assertFalse(m.capIpcLock(), "CAP_IPC_LOCK");
        assertTrue(m.limited());
        if (!f.emulated()) {
            // the whole JVM, every id: the launcher changed the process before it started
            assertEquals(s.uid() + " " + s.uid() + " " + s.uid() + " " + s.uid(), status("Uid"), "Uid (real effective saved fs)");
            assertEquals(s.gid() + " " + s.gid() + " " + s.gid() + " " + s.gid(), status("Gid"), "Gid");
            assertEquals("0000000000000000", status("CapEff"), "CapEff");
            assertEquals("0000000000000000", status("CapPrm"), "CapPrm");
            long[] limits = ProcessCredentials.memlockLimits();
            assertEquals(s.memlockBytes(), limits[0], "soft RLIMIT_MEMLOCK");
            assertEquals(s.memlockBytes(), limits[1], "hard RLIMIT_MEMLOCK");
        }
        if (!f.emulated()) {
            assertErrno(io.jvfio.backend.Errno.EPERM, ProcessCredentials.setMemlockLimits(Long.MAX_VALUE, Long.MAX_VALUE),
                    "setrlimit(RLIMIT_MEMLOCK, unlimited): without CAP_SYS_RESOURCE the hard limit cannot be raised");
        }
    }

    /** A group node the stage left as the kernel makes it (root 0600): EACCES, and the advice hands it over. */
    @ContractTest
    void groupNodeOfRoot_EACCES_adviceNamesTheUdevRuleAndChown(Fixture f) throws IOException {
        UnprivilegedStage s = stage();
        int denied = f.b.groups().stream().filter(g -> !s.groups().contains(g)).findFirst().orElse(-1);
        Assumptions.assumeTrue(denied >= 0, () -> s + ": every group node is the user's in this phase " + f.b.groups());
        String path = "/dev/vfio/" + denied;
        assertErrno(EACCES, f.open(path), "open(" + path + ") as uid " + s.uid());
        ErrnoAssert.assertFd(f.open(Fixture.CONTAINER_PATH), "open(/dev/vfio/vfio): 0666");
        Vfio vfio = f.vfio();
        VfioPermissionException e = assertThrows(VfioPermissionException.class, () -> vfio.openGroup(denied));
        assertEquals("EACCES", e.errnoName());
        // the user by name where the system knows it (the guest's /etc/passwd), else by uid (the emulator)
        String owner = f.emulated() ? Integer.toString(s.uid()) : passwdName(s.uid());
        contains(e.getMessage(), path + " is 0:0 0600", "runs as " + (f.emulated() ? "uid " : "") + owner,
                "SUBSYSTEM==\"vfio\", KERNEL==\"" + denied + "\", OWNER=\"" + owner + "\", MODE=\"0600\"",
                "udevadm trigger", "chown " + owner + " " + path, "LimitMEMLOCK=");
    }

    /** v1 ENABLE charges the whole default window: over the limit it is ENOMEM, nothing stays charged. */
    @ContractTest
    void v1EnableOverTheLimit_ENOMEM_adviceNamesLimitNeedAndFix(Fixture f) throws VfioException {
        UnprivilegedStage s = stage();
        requireGroup0(s);
        long before = f.lockedVmBytes();
        Assumptions.assumeTrue(before + Fixture.DMA32_SIZE > s.memlockBytes(), () -> s + ": the default window fits");
        Vfio vfio = f.vfio();
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            VfioException e = assertThrows(VfioException.class, c::enable);
            assertEquals("ENOMEM", e.errnoName());
            contains(e.getMessage(), "this VFIO_IOMMU_ENABLE needs 1GiB of locked memory",
                    "RLIMIT_MEMLOCK is " + UnprivilegedStage.size(s.memlockBytes()), "ulimit -l ", "LimitMEMLOCK=",
                    "/etc/security/limits.conf", "CAP_IPC_LOCK");
            assertHex(before, f.lockedVmBytes(), "locked_vm after the refused ENABLE");
        }
    }

    /**
     * v2 REGISTER_MEMORY charges what it registers: one page over what the limit leaves is ENOMEM
     * with the advice, and charges nothing; what fits is charged and UNREGISTER gives it back.
     */
    @ContractTest
    void v2RegisterAtTheLimit_ENOMEM_thenFitsAndGivesBack(Fixture f) {
        UnprivilegedStage s = stage();
        requireGroup0(s);
        int c = f.v2();
        long before = f.lockedVmBytes();
        long room = s.memlockBytes() - before;
        MemorySegment over = f.buffer(room + 4096, false);
        assertErrno(ENOMEM, f.register(c, over), "REGISTER of the room left + 1 page");
        assertHex(before, f.lockedVmBytes(), "locked_vm after the refused REGISTER");
        MemorySegment fits = over.asSlice(0, 1 << 20);
        assertOk(f.register(c, fits), "REGISTER 1 MiB");
        assertHex(before + (1 << 20), f.lockedVmBytes(), "locked_vm after REGISTER 1 MiB");
        assertOk(f.unregister(c, fits.address(), fits.byteSize()), "UNREGISTER 1 MiB");
        assertHex(before, f.lockedVmBytes(), "locked_vm after UNREGISTER");
    }

    /** The API's ENOMEM for a REGISTER or a CREATE over the limit names the need, the limit, what is locked and the fix. */
    @ContractTest
    void v2OverTheLimit_adviceNamesNeedLimitAndFix(Fixture f) throws VfioException {
        UnprivilegedStage s = stage();
        requireGroup0(s);
        Vfio vfio = f.vfio();
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            MemorySegment big = f.buffer(s.memlockBytes() + (1 << 20), false);
            VfioException e = assertThrows(VfioException.class, () -> c.registerMemory(big));
            assertEquals("ENOMEM", e.errnoName());
            contains(e.getMessage(), "this VFIO_IOMMU_SPAPR_REGISTER_MEMORY needs " + UnprivilegedStage.size(big.byteSize()),
                    "RLIMIT_MEMLOCK is " + UnprivilegedStage.size(s.memlockBytes()), "is locked already", "ulimit -l ",
                    "LimitMEMLOCK=", "CAP_IPC_LOCK");
            // 2^28 TCEs of 8 bytes: a 2 GiB table, charged before anything else
            VfioException create = assertThrows(VfioException.class, () -> c.createWindow(12, 1L << 40, 1));
            assertEquals("ENOMEM", create.errnoName());
            contains(create.getMessage(), "this VFIO_IOMMU_SPAPR_TCE_CREATE needs 2GiB of locked memory",
                    "RLIMIT_MEMLOCK is " + UnprivilegedStage.size(s.memlockBytes()), "ulimit -l ", "LimitMEMLOCK=");
        }
    }

    /**
     * The charge points of TCE_CREATE: the table is charged before the platform looks at the window,
     * so a window the platform refuses (not a power of two: EINVAL) keeps its charge for good, even
     * after the container is closed; a created window's charge goes with REMOVE; a table over the
     * limit is ENOMEM before anything.
     */
    @ContractTest
    void v2CreateChargePoints(Fixture f) {
        UnprivilegedStage s = stage();
        requireGroup0(s);
        int c = f.v2();
        assertOk(f.remove(c, 0), "remove the pending default window");
        long before = f.lockedVmBytes();
        long table = UnprivilegedStage.tableBytes(16, 3L << 30, 1);
        assertErrno(EINVAL, f.create(c, 16, 3L << 30, 1), "CREATE 16 3G 1 (not a power of two)");
        assertHex(before + table, f.lockedVmBytes(), "locked_vm after the refused CREATE: its table's charge stays");
        long ok = UnprivilegedStage.tableBytes(16, Fixture.SMALL_WINDOW, 1);
        long start = f.createOk(c, 16, Fixture.SMALL_WINDOW, 1);
        assertHex(before + table + ok, f.lockedVmBytes(), "locked_vm with the created window");
        assertOk(f.remove(c, start), "REMOVE");
        assertHex(before + table, f.lockedVmBytes(), "locked_vm after REMOVE");
        long huge = UnprivilegedStage.tableBytes(12, 1L << 40, 1);
        assertErrno(ENOMEM, f.create(c, 12, 1L << 40, 1), "CREATE 12 1T 1 (a " + UnprivilegedStage.size(huge) + " table)");
        assertHex(before + table, f.lockedVmBytes(), "locked_vm after the CREATE over the limit");
        assertOk(f.unsetContainer(f.group), "unset-container");
        assertOk(f.closeFd(f.group), "close the group");
        assertOk(f.closeFd(c), "close the container");
        assertHex(before + table, f.lockedVmBytes(), "locked_vm after the container is closed: the refused CREATE's charge is never given back");
    }

    /** The stage's tests only make sense for a limit below the default window: some steps must fail. */
    @ContractTest
    void theLimitIsBelowTheDefaultWindow(Fixture f) {
        UnprivilegedStage s = stage();
        assertTrue(s.memlockBytes() < Fixture.DMA32_SIZE, s + ": v1 ENABLE would fit; the stage must make some steps fail");
    }
}
