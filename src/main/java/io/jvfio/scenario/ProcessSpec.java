package io.jvfio.scenario;

import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.Profile;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The process a scenario file states in its {@code #%} header lines (scenario-format.md, "Process
 * directives"): its {@code RLIMIT_MEMLOCK}, its identity and the owners and modes of the group nodes.
 * A file without directives runs as the backend's process is (root in the guest, the profile's
 * defaults on the emulator): {@link #INHERIT}.
 *
 * @param memlockBytes the soft and hard {@code RLIMIT_MEMLOCK} in bytes; -1 to keep the process's
 * @param uid the uid (and fsuid) to run as; -1 to keep the process's. A user without {@code cap}
 *     lines has no capabilities
 * @param gid the gid; -1 for the uid's number
 * @param capabilities the capabilities kept as that user ({@code CAP_IPC_LOCK}, {@code CAP_DAC_OVERRIDE})
 * @param nodes owner and mode of {@code /dev/vfio/N}, by group number (the udev rule or chown of a setup)
 */
public record ProcessSpec(long memlockBytes, int uid, int gid, Set<Credentials.Capability> capabilities,
        Map<Integer, DeviceNode> nodes) {

    /** No directives: the process as it is. */
    public static final ProcessSpec INHERIT = new ProcessSpec(-1, -1, -1, Set.of(), Map.of());

    public ProcessSpec {
        capabilities = capabilities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(capabilities));
        nodes = Map.copyOf(new LinkedHashMap<>(nodes));
    }

    /** Whether the file states anything about its process. */
    public boolean stated() {
        return !equals(INHERIT);
    }

    /** Whether the file runs as another user than the process's. */
    public boolean dropsPrivileges() {
        return uid >= 0;
    }

    /** The credentials the file runs with: the user's, or {@code current} when it keeps the process's. */
    public Credentials credentials(Credentials current) {
        if (uid < 0) {
            return current;
        }
        return new Credentials(uid, gid < 0 ? uid : gid, Set.of(), capabilities);
    }

    /** {@code p} with this file's limit, identity and nodes: the emulator configured as the file states. */
    public Profile applyTo(Profile p) {
        if (!stated()) {
            return p;
        }
        Profile.Builder b = p.toBuilder().credentials(credentials(p.credentials()));
        if (memlockBytes >= 0) {
            b.memlockLimitBytes(memlockBytes);
        }
        // a node for a group the platform lacks changes nothing: opening it is ENOENT either way
        nodes.forEach((n, node) -> {
            if (p.group(n) != null) {
                b.groupNode(n, node);
            }
        });
        return b.build();
    }
}
