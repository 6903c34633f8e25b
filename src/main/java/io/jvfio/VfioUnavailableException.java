package io.jvfio;

/** There is no VFIO, or no such group or device, on this host. */
public final class VfioUnavailableException extends VfioException {
    private static final long serialVersionUID = 1L;

    public VfioUnavailableException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
