package io.jvfio.emul.fs;

/**
 * An open file of the emulated kernel ({@code struct file}): reference counted, released when the
 * last reference goes (the fd, or an object holding it, e.g. a device fd holds its group's file).
 * Callers hold the platform lock.
 */
public abstract class EmuFile {
    private long refs = 1;

    /** {@code get_file}. */
    public final void get() {
        refs++;
    }

    /** {@code fput}: the last put releases. */
    public final void put() {
        if (--refs == 0) {
            release();
        }
    }

    public final long refs() {
        return refs;
    }

    /**
     * {@code vfs_poll}: the file's readiness for poll(2), queueing {@code table} (when not null) on the
     * file's wait queue so that a later change wakes the poller. This default is a file without a
     * {@code poll} operation (the VFIO container, group and device files): {@code DEFAULT_POLLMASK},
     * always ready, nothing to wait on.
     */
    public int poll(PollTable table) {
        return PollTable.DEFAULT_POLLMASK;
    }

    /** The file's {@code release} operation. */
    protected abstract void release();

    /** A short name for messages, e.g. {@code container}. */
    public abstract String kind();
}
