package io.jvfio.emul;

import io.jvfio.backend.PlatformFault;

/**
 * Thrown where QEMU 7.2 itself aborts (the whole virtual machine dies), e.g. the edu device's
 * {@code hw_error()} on a DMA range that its off-by-one range check rejects. Distinct from
 * {@link KernelBugException}: the hypervisor is gone, so every later call on the same
 * {@link EmulatedBackend} throws this exception again. At the seam it is a {@link PlatformFault} of
 * kind {@link PlatformFault.Kind#HYPERVISOR_ABORT}.
 */
public final class QemuAbortException extends PlatformFault {
    private static final long serialVersionUID = 1L;

    public QemuAbortException(String message) {
        super(Kind.HYPERVISOR_ABORT, message);
    }
}
