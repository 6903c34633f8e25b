package io.jvfio;

import io.jvfio.abi.IoctlCodec;
import io.jvfio.backend.Errno;
import java.io.IOException;

/**
 * A VFIO operation failed. Every instance names the operation, the request number (for ioctls), the
 * errno (symbolic and numeric) and what the caller can do about it. The hierarchy is sealed with
 * final leaves, so callers can switch over the kinds:
 * <ul>
 *   <li>{@link VfioUnavailableException}: there is no VFIO (or no such group) on this host;</li>
 *   <li>{@link VfioPermissionException}: the process may not open or use it;</li>
 *   <li>{@link VfioIoctlException}: the kernel refused an ioctl;</li>
 *   <li>{@link VfioGuardException}: jvfio refused a call before issuing it (a known kernel bug, or an
 *       argument that cannot be right);</li>
 *   <li>{@link VfioSystemException}: a system call around the ioctls failed (mmap, eventfd, poll, pread).</li>
 * </ul>
 *
 * <p>Misuse of the API is not a {@code VfioException} but an unchecked exception: see the
 * package documentation for the whole contract. Immutable.
 */
public abstract sealed class VfioException extends IOException
        permits VfioUnavailableException, VfioPermissionException, VfioIoctlException, VfioGuardException,
                VfioSystemException {
    private static final long serialVersionUID = 1L;

    /** What was attempted. */
    private final String operation;
    /** The ioctl request number, or 0. */
    private final int request;
    /** The errno, or 0. */
    private final int errno;
    /** What the caller can do. */
    private final String advice;

    VfioException(String operation, int request, int errno, String advice) {
        super(format(operation, request, errno, advice));
        this.operation = operation;
        this.request = request;
        this.errno = errno;
        this.advice = advice;
    }

    private static String format(String operation, int request, int errno, String advice) {
        StringBuilder b = new StringBuilder(operation);
        if (request != 0) {
            b.append(" (request ").append(IoctlCodec.hex(request)).append(')');
        }
        if (errno != 0) {
            b.append(": ").append(Errno.format(errno)).append(' ').append(Errno.describe(errno));
        }
        if (advice != null && !advice.isEmpty()) {
            b.append(errno != 0 ? " — " : ": ").append(advice);
        }
        return b.toString();
    }

    /**
     * What was attempted.
     *
     * @return e.g. {@code VFIO_IOMMU_MAP_DMA iova=0x100000 size=0x10000}
     */
    public String operation() {
        return operation;
    }

    /**
     * The ioctl request number as issued (it differs between architectures).
     *
     * @return the request, or 0 when no ioctl was involved
     */
    public int request() {
        return request;
    }

    /**
     * The errno the platform answered.
     *
     * @return the errno, or 0 when the call was refused before reaching the kernel
     */
    public int errno() {
        return errno;
    }

    /**
     * The errno's symbolic name.
     *
     * @return e.g. {@code EPERM}, or the empty string when there is no errno
     */
    public String errnoName() {
        return errno == 0 ? "" : Errno.name(errno);
    }

    /**
     * What the caller can do.
     *
     * @return the advice; empty when there is none
     */
    public String advice() {
        return advice;
    }
}
