package io.jvfio.emul;

/**
 * Thrown where QEMU 7.2 itself aborts (the whole virtual machine dies), e.g. the edu device's
 * {@code hw_error()} on a DMA range that its off-by-one range check rejects. Distinct from
 * {@link KernelBugException}: the hypervisor is gone, so every later call on the same
 * {@link EmulatedBackend} throws this exception again.
 */
public class QemuAbortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QemuAbortException(String message) {
        super(message);
    }
}
