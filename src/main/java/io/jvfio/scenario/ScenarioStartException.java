package io.jvfio.scenario;

import io.jvfio.backend.Errno;

/**
 * A scenario could not start: the container node ({@code /dev/vfio/vfio}) did not open (exit status 3).
 * {@link #errno()} is open's errno.
 */
public final class ScenarioStartException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ScenarioStartException(String path, int errno) {
        super("cannot open " + path + ": " + Errno.format(errno) + " " + Errno.describe(errno), null, false, false);
        this.errno = errno;
    }

    /** open's errno (positive). */
    public int errno() {
        return errno;
    }
}
