package io.jvfio;

/** A system call around the ioctls failed: mmap, eventfd, poll, read, pread or pwrite. Immutable. */
public final class VfioSystemException extends VfioException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a failed operation.
     *
     * @param operation what was attempted, with its arguments
     * @param request the ioctl request number, or 0 when no ioctl was involved
     * @param errno the errno, or 0 when the call never reached the platform
     * @param advice what the caller can do
     */
    public VfioSystemException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
