package io.jvfio.emul;

import java.util.EnumSet;
import java.util.Set;

/**
 * The emulated process's credentials, as the kernel checks them: the filesystem uid and gid (with
 * the supplementary groups) for the permission check at open, and the effective capabilities that
 * bypass the checks jvfio meets: {@code CAP_DAC_OVERRIDE} (any file mode) and {@code CAP_IPC_LOCK}
 * (no {@code RLIMIT_MEMLOCK} check in {@code account_locked_vm}).
 *
 * @param uid the fsuid
 * @param gid the fsgid
 * @param groups supplementary group ids ({@code in_group_p})
 * @param capabilities the effective capability set, of those the model knows
 */
public record Credentials(int uid, int gid, Set<Integer> groups, Set<Capability> capabilities) {

    /** The capabilities the model knows, in the kernel's spelling. */
    public enum Capability {
        /** Bypasses the file mode check at open ({@code capable_wrt_inode_uidgid} in {@code generic_permission}). */
        CAP_DAC_OVERRIDE,
        /** Bypasses {@code RLIMIT_MEMLOCK} ({@code account_locked_vm}'s {@code capable(CAP_IPC_LOCK)}). */
        CAP_IPC_LOCK
    }

    /** root with every capability: the guest suite's identity. */
    public static final Credentials ROOT = new Credentials(0, 0, Set.of(), EnumSet.allOf(Capability.class));

    public Credentials {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must be >= 0: " + uid + ":" + gid);
        }
        groups = Set.copyOf(groups);
        capabilities = capabilities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(capabilities));
    }

    /** An unprivileged user: no capabilities, no supplementary groups. */
    public static Credentials user(int uid, int gid) {
        return new Credentials(uid, gid, Set.of(), Set.of());
    }

    /** These credentials with one capability more. */
    public Credentials with(Capability cap) {
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        caps.addAll(capabilities);
        caps.add(cap);
        return new Credentials(uid, gid, groups, caps);
    }

    /** Whether the effective set holds {@code cap} ({@code capable(cap)}). */
    public boolean capable(Capability cap) {
        return capabilities.contains(cap);
    }

    /** The kernel's {@code in_group_p}: the fsgid or a supplementary group. */
    public boolean inGroup(int g) {
        return gid == g || groups.contains(g);
    }
}
