package io.jvfio.scenario;

import io.jvfio.backend.Errno;

/** The container node could not be opened, so the scenario did not start (exit status 3). */
public final class ContainerUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ContainerUnavailableException(String path, int errno) {
        super("cannot open " + path + ": " + Errno.format(errno) + " " + Errno.describe(errno), null, false, false);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
