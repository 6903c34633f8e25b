package io.jvfio;

/** A system call around the ioctls failed: mmap, eventfd, pread or pwrite. */
public final class VfioSystemException extends VfioException {
    private static final long serialVersionUID = 1L;

    public VfioSystemException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
