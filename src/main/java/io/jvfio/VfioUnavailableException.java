package io.jvfio;

/** There is no VFIO, or no such group or device, on this host. Immutable. */
public final class VfioUnavailableException extends VfioException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for a failed operation.
     *
     * @param operation what was attempted, with its arguments
     * @param request the ioctl request number, or 0 when no ioctl was involved
     * @param errno the errno, or 0 when the call never reached the platform
     * @param advice what the caller can do
     */
    public VfioUnavailableException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
