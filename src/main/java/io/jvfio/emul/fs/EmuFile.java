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

    /** The file's {@code release} operation. */
    protected abstract void release();

    /** A short name for messages, e.g. {@code container}. */
    public abstract String kind();
}
