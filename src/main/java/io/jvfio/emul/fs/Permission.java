package io.jvfio.emul.fs;

import static io.jvfio.backend.Errno.EACCES;

import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;

/**
 * fs/namei.c {@code generic_permission} for a character device opened {@code O_RDWR}: the owner,
 * group or other bits by the fsuid and {@code in_group_p}, then {@code CAP_DAC_OVERRIDE}.
 */
public final class Permission {
    private static final int MAY_RW = 06; // MAY_READ | MAY_WRITE in the rwx bits

    private Permission() {}

    /** 0, or -EACCES when {@code cred} may not open {@code node} for reading and writing. */
    public static int mayOpenReadWrite(Credentials cred, DeviceNode node) {
        int mode = node.mode();
        int bits;
        if (cred.uid() == node.uid()) {
            bits = mode >> 6;
        } else if (cred.inGroup(node.gid())) {
            bits = mode >> 3;
        } else {
            bits = mode;
        }
        if ((bits & MAY_RW) == MAY_RW || cred.capable(Credentials.Capability.CAP_DAC_OVERRIDE)) {
            return 0;
        }
        return -EACCES;
    }
}
