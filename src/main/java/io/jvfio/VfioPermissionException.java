package io.jvfio;

/** The process may not open or use a VFIO object (EACCES, or EPERM on open). */
public final class VfioPermissionException extends VfioException {
    private static final long serialVersionUID = 1L;

    public VfioPermissionException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
