package io.jvfio;

/** The kernel (or the emulator) refused an ioctl. */
public final class VfioIoctlException extends VfioException {
    private static final long serialVersionUID = 1L;

    public VfioIoctlException(String operation, int request, int errno, String advice) {
        super(operation, request, errno, advice);
    }
}
