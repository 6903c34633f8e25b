package io.jvfio.backend;

/**
 * A call the platform does not answer: where the real kernel oopses or hangs, or the hypervisor
 * aborts, so no errno exists to return. The only exception a {@link VfioBackend} call throws besides
 * the {@link ErrnoException} of the mmap methods. The kernel backend never throws it (the calling
 * process dies instead); the emulator throws it where the modelled platform would die, so callers
 * can report the call instead of a result it never gives.
 *
 * <p>Sealed: the emulator's {@code KernelBugException} ({@link Kind#KERNEL_BUG}: the platform stays
 * usable) and {@code QemuAbortException} ({@link Kind#HYPERVISOR_ABORT}: every later call fails too).
 */
public abstract sealed class PlatformFault extends RuntimeException
        permits io.jvfio.emul.KernelBugException, io.jvfio.emul.QemuAbortException {
    private static final long serialVersionUID = 1L;

    /** What died. */
    public enum Kind {
        /** The guest kernel oopses or hangs in the call; the platform answers later calls. */
        KERNEL_BUG,
        /** The hypervisor (QEMU) aborts: the whole machine is gone. */
        HYPERVISOR_ABORT
    }

    private final Kind kind;

    protected PlatformFault(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** Whether the kernel or the hypervisor died. */
    public final Kind kind() {
        return kind;
    }
}
