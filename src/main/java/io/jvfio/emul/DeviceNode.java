package io.jvfio.emul;

/**
 * Owner and mode of a device node under {@code /dev/vfio}. The kernel creates a group's node
 * {@code root:root 0600}; a udev rule or chown hands it to a service user.
 *
 * @param uid the owner
 * @param gid the group
 * @param mode the permission bits ({@code 0660} ...)
 */
public record DeviceNode(int uid, int gid, int mode) {

    /** What the kernel creates for {@code /dev/vfio/N}. */
    public static final DeviceNode ROOT_0600 = new DeviceNode(0, 0, 0600);

    public DeviceNode {
        if (uid < 0 || gid < 0 || (mode & ~0777) != 0) {
            throw new IllegalArgumentException("a node needs uid, gid >= 0 and mode within 0777: "
                    + uid + ":" + gid + " 0" + Integer.toOctalString(mode));
        }
    }

    @Override
    public String toString() {
        return uid + ":" + gid + " 0" + Integer.toOctalString(mode);
    }
}
