package io.jvfio.scenario;

import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.Profile;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Collects a file's {@code #%} header lines into a {@link ProcessSpec}. To every other reader of the
 * language they are comments, so a file with them still follows the shared contract.
 */
final class ProcessDirectives {
    static final String PREFIX = "#%";
    static final String USAGE = "#% memlock SIZE|unlimited, #% user UID[:GID], #% cap CAP_IPC_LOCK|CAP_DAC_OVERRIDE, "
            + "#% node GROUP UID:GID MODE, #% platform PROFILE";

    private long memlock = -1;
    private int uid = -1;
    private int gid = -1;
    private final Set<Credentials.Capability> caps = EnumSet.noneOf(Credentials.Capability.class);
    private final Map<Integer, DeviceNode> nodes = new LinkedHashMap<>();
    private String platform;

    static boolean isDirective(String line) {
        return line.strip().startsWith(PREFIX);
    }

    /** Takes one {@code #%} line; the message of the exception is the syntax error. */
    void add(String line) {
        String body = line.strip().substring(PREFIX.length());
        int hash = body.indexOf('#');
        String[] t = (hash >= 0 ? body.substring(0, hash) : body).strip().split("\\s+");
        String what = t[0];
        switch (what) {
            case "memlock" -> {
                args(t, 1, "memlock SIZE|unlimited");
                long v = t[1].equals("unlimited") ? Long.MAX_VALUE : number(t[1]);
                memlock = v < 0 ? Long.MAX_VALUE : v; // above 2^63: RLIM_INFINITY in all but name
            }
            case "user" -> {
                args(t, 1, "user UID[:GID]");
                int[] ug = ids(t[1], false);
                uid = ug[0];
                gid = ug[1];
            }
            case "cap" -> {
                args(t, 1, "cap CAP_IPC_LOCK|CAP_DAC_OVERRIDE");
                try {
                    caps.add(Credentials.Capability.valueOf(t[1]));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown capability '" + t[1] + "': CAP_IPC_LOCK or CAP_DAC_OVERRIDE");
                }
            }
            case "node" -> {
                args(t, 3, "node GROUP UID:GID MODE");
                int group = (int) Math.min(number(t[1]), Integer.MAX_VALUE);
                int[] ug = ids(t[2], true);
                if (!t[3].matches("0?[0-7]{3}")) {
                    throw new IllegalArgumentException("mode '" + t[3] + "' is not octal permission bits (0600, 0660)");
                }
                nodes.put(group, new DeviceNode(ug[0], ug[1], Integer.parseInt(t[3], 8)));
            }
            case "platform" -> {
                args(t, 1, "platform PROFILE");
                try {
                    Profile.named(t[1]);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("#% platform: " + e.getMessage());
                }
                platform = t[1];
            }
            default -> throw new IllegalArgumentException("unknown directive '" + what + "'; the directives: " + USAGE);
        }
    }

    /** The profile a {@code #% platform} line named, or null. */
    String platform() {
        return platform;
    }

    ProcessSpec spec() {
        if (!caps.isEmpty() && uid < 0) {
            throw new IllegalArgumentException("#% cap keeps a capability for a #% user: state the user");
        }
        ProcessSpec p = new ProcessSpec(memlock, uid, gid, caps, nodes);
        return p.stated() ? p : ProcessSpec.INHERIT;
    }

    private static void args(String[] t, int n, String usage) {
        if (t.length != n + 1) {
            throw new IllegalArgumentException("#% " + t[0] + " takes " + n + " argument(s): #% " + usage);
        }
    }

    private static long number(String s) {
        if (!Numbers.looksLikeNumber(s)) {
            throw new IllegalArgumentException("'" + s + "' is not a number");
        }
        return Numbers.parse(s);
    }

    private static int[] ids(String s, boolean gidRequired) {
        String[] p = s.split(":", -1);
        if (p.length > 2 || (gidRequired && p.length != 2) || !p[0].matches("[0-9]{1,9}")
                || (p.length == 2 && !p[1].matches("[0-9]{1,9}"))) {
            throw new IllegalArgumentException("'" + s + "' is not " + (gidRequired ? "UID:GID" : "UID[:GID]")
                    + " (numbers, e.g. 1000:1000)");
        }
        return new int[] {Integer.parseInt(p[0]), p.length == 2 ? Integer.parseInt(p[1]) : -1};
    }
}
