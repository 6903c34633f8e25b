package io.jvfio.harness;

/**
 * An unprivileged user the guest run script starts a command as: a passwd entry, then for each
 * command a subshell that sets {@code RLIMIT_MEMLOCK} (soft and hard, busybox {@code ulimit -l}) and
 * execs busybox {@code su}, which calls {@code initgroups}, {@code setgid} and {@code setuid} for the
 * whole process before the command starts; root's capabilities go with the uid change.
 *
 * @param name the login name
 * @param uid its uid
 * @param gid its primary gid
 * @param memlockKiB the locked-memory limit in KiB
 */
public record GuestUser(String name, int uid, int gid, long memlockKiB) {
    public GuestUser {
        if (!name.matches("[a-z][a-z0-9_-]*") || uid <= 0 || gid <= 0 || memlockKiB < 0) {
            throw new IllegalArgumentException("a non-root user with a name [a-z][a-z0-9_-]* and a limit >= 0: "
                    + name + " " + uid + ":" + gid + " " + memlockKiB + " KiB");
        }
    }

    /** The shell lines that add the user and its group to the guest's /etc/passwd and /etc/group. */
    public String passwdLines() {
        return "echo '" + name + ":x:" + uid + ":" + gid + ":jvfio service user:/tmp:/bin/sh' >>/etc/passwd\n"
                + "echo '" + name + ":x:" + gid + ":' >>/etc/group\n";
    }

    /** {@code command} (a shell command line) run as this user under its limit; the environment is kept. */
    public String launch(String command) {
        return "( ulimit -l " + memlockKiB + " && exec su -s /bin/sh -c " + GuestRun.shellQuote("exec " + command)
                + " " + name + " )";
    }
}
