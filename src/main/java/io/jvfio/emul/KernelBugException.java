package io.jvfio.emul;

import io.jvfio.backend.PlatformFault;

/**
 * Thrown by the emulator where the real 6.12 pSeries guest kernel oopses or hangs instead of
 * answering. The real call never returns a result there (the calling process dies with SIGSEGV, or
 * spins in the kernel), so the emulator never reports success for it either. The message names the
 * bug. The platform stays usable afterwards and {@link EmulatorState#kernelBugHit()} is set; state
 * changed before the fault point is left as the kernel leaves it. At the seam it is a
 * {@link PlatformFault} of kind {@link PlatformFault.Kind#KERNEL_BUG}.
 */
public final class KernelBugException extends PlatformFault {
    private static final long serialVersionUID = 1L;

    public KernelBugException(String message) {
        super(Kind.KERNEL_BUG, message);
    }
}
