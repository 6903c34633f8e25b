package io.jvfio.contract;

import static io.jvfio.backend.Errno.ENOMEM;
import static io.jvfio.contract.ErrnoAssert.assertErrno;
import static io.jvfio.contract.ErrnoAssert.assertOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioPermissionException;
import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.GroupSpec;
import io.jvfio.emul.Profile;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The unprivileged stage ({@code make test-unprivileged}): the suite runs as a service user without
 * capabilities, owning the group nodes {@link #groups} ({@code 0600}, as a udev rule hands them
 * over), under an {@code RLIMIT_MEMLOCK} of {@link #memlockBytes}. In the guest the launcher has made
 * the whole JVM so before it started; on the emulated rows {@link #apply} gives the emulator the same
 * credentials, limit and nodes. Set by {@code -Djvfio.unprivileged.uid}, {@code .gid},
 * {@code .memlock} (bytes) and {@code .groups} (comma list); absent, every test runs as before.
 *
 * <p>Steps that charge more locked memory than the limit leaves must fail ENOMEM here, as the kernel's
 * {@code account_locked_vm} refuses them: {@link #charge} asserts exactly that and ends the test as
 * skipped with the stage named, since the rest of it needs the charge.
 *
 * @param uid the service user's uid (its gid is {@code gid})
 * @param gid the service user's gid
 * @param memlockBytes the soft and hard RLIMIT_MEMLOCK
 * @param groups the IOMMU groups whose nodes the user owns; the others stay root's 0600
 */
public record UnprivilegedStage(int uid, int gid, long memlockBytes, List<Integer> groups) {
    public static final String UID = "jvfio.unprivileged.uid";
    public static final String GID = "jvfio.unprivileged.gid";
    public static final String MEMLOCK = "jvfio.unprivileged.memlock";
    public static final String GROUPS = "jvfio.unprivileged.groups";

    public UnprivilegedStage {
        groups = List.copyOf(groups);
    }

    /** The stage this JVM runs under, from the system properties; empty outside it. */
    public static Optional<UnprivilegedStage> current() {
        String uid = System.getProperty(UID);
        if (uid == null || uid.isBlank()) {
            return Optional.empty();
        }
        int u = Integer.parseInt(uid.strip());
        List<Integer> g = Arrays.stream(System.getProperty(GROUPS, "0").split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
        return Optional.of(new UnprivilegedStage(u, Integer.getInteger(GID, u), Long.decode(System.getProperty(MEMLOCK)), g));
    }

    /** The system properties that put a JVM under this stage. */
    public List<String[]> properties() {
        return List.of(new String[] {UID, Integer.toString(uid)}, new String[] {GID, Integer.toString(gid)},
                new String[] {MEMLOCK, Long.toString(memlockBytes)},
                new String[] {GROUPS, String.join(",", groups.stream().map(String::valueOf).toList())});
    }

    /** A profile under this stage's credentials, limit and group nodes (every group not handed over stays root 0600). */
    public Profile apply(Profile p) {
        Profile.Builder b = p.toBuilder().credentials(Credentials.user(uid, gid)).memlockLimitBytes(memlockBytes);
        for (GroupSpec g : p.groups()) {
            b.groupNode(g.number(), groups.contains(g.number()) ? new DeviceNode(uid, gid, 0600) : DeviceNode.ROOT_0600);
        }
        return b.build();
    }

    /** {@code p} under the current stage, or {@code p} itself outside it. */
    public static Profile applyCurrent(Profile p) {
        return current().map(s -> s.apply(p)).orElse(p);
    }

    /** {@code unprivileged stage (uid 1000, RLIMIT_MEMLOCK 128MiB)}, for messages. */
    @Override
    public String toString() {
        return "unprivileged stage (uid " + uid + ", RLIMIT_MEMLOCK " + size(memlockBytes) + ")";
    }

    /**
     * A step that charges {@code bytes} of locked memory ({@code result} is its raw seam result): under
     * the stage, when {@code lockedBefore + bytes} is over the limit, it must have failed ENOMEM, and
     * the test ends there, skipped, naming the stage; otherwise (or outside the stage) it must be ok.
     */
    public static void charge(long result, long lockedBefore, long bytes, String what) {
        Optional<UnprivilegedStage> s = current();
        if (s.isEmpty() || lockedBefore + bytes <= s.get().memlockBytes) {
            assertOk(result, what);
            return;
        }
        assertErrno(ENOMEM, result, what + " under the " + s.get() + " with " + lockedBefore + " bytes locked");
        Assumptions.abort(s.get() + ": " + what + " failed ENOMEM as it must (it charges " + size(bytes)
                + " of locked memory, " + size(lockedBefore) + " locked already); the rest of the test needs it");
    }

    /**
     * The errno a step that charges {@code bytes} must give: ENOMEM under the stage when
     * {@code lockedBefore + bytes} is over the limit ({@code account_locked_vm} comes first), else
     * {@code otherwise} (0 for success).
     */
    public static int expectedErrno(int otherwise, long lockedBefore, long bytes) {
        return current().filter(s -> lockedBefore + bytes > s.memlockBytes).isPresent() ? ENOMEM : otherwise;
    }

    /**
     * An API call that charges {@code bytes}: under the stage and over the limit it must throw a
     * {@link VfioException} with ENOMEM (then the test ends, skipped, naming the stage); otherwise it must succeed.
     */
    public static void charge(ApiCall call, long lockedBefore, long bytes, String what) throws VfioException {
        try {
            call.run();
        } catch (VfioException e) {
            if (e.errno() != ENOMEM || expectedErrno(0, lockedBefore, bytes) != ENOMEM) {
                throw e;
            }
            charge(-ENOMEM, lockedBefore, bytes, what);
        }
        charge(0, lockedBefore, bytes, what);
    }

    /**
     * A test that needs group {@code number}: under the stage, when its node is not the user's, opening
     * it must fail EACCES (asserted), and the test ends there, skipped, naming the stage.
     */
    public static void requireGroup(Vfio vfio, int number) {
        Optional<UnprivilegedStage> s = current().filter(st -> !st.groups.contains(number));
        if (s.isPresent()) {
            VfioException e = assertThrows(VfioPermissionException.class, () -> vfio.openGroup(number).close());
            assertEquals("EACCES", e.errnoName(), e::getMessage);
            Assumptions.abort(s.get() + ": /dev/vfio/" + number + " is root's 0600 in this phase, its open failed EACCES as it"
                    + " must; the test needs the group");
        }
    }

    /** A public-API call that may fail. */
    @FunctionalInterface
    public interface ApiCall {
        void run() throws VfioException;
    }

    /**
     * What a TCE_CREATE charges before the platform looks at it: {@code spapr_tce_get_table_size}
     * (8 bytes a TCE; ~0U for more than one level), whole 4 KiB pages ({@code >> PAGE_SHIFT}).
     */
    public static long tableBytes(int pageShift, long windowSize, int levels) {
        long size = levels > 1 ? 0xffffffffL : windowSize >>> (pageShift - 3);
        return size & -4096L;
    }

    static String size(long bytes) {
        String h = Sizes.human(bytes);
        return Character.isDigit(h.charAt(h.length() - 1)) ? bytes + " bytes" : h + "iB";
    }
}
