package io.jvfio.backend;

/**
 * A failed system call below the ioctl seam (open, mmap, eventfd, read, write): the operation and
 * the errno. The public API turns it into a {@code VfioException} with advice.
 */
public final class ErrnoException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    public ErrnoException(String operation, int errno) {
        super(operation + ": " + Errno.format(errno) + " " + Errno.describe(errno), null, false, false);
        this.operation = operation;
        this.errno = errno;
    }

    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }
}
