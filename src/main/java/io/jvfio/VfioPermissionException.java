package io.jvfio;

/** The process may not open or use a VFIO object (EACCES, or EPERM on open). Immutable. */
public final class VfioPermissionException extends VfioException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a failed operation.
     *
     * @param operation what was attempted, with its arguments
     * @param request the ioctl request number, or 0 when no ioctl was involved
     * @param errno the errno, or 0 when the call never reached the platform
     * @param advice what the caller can do
     */
    public VfioPermissionException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
