package io.jvfio.backend;

/**
 * The process's locked memory as the kernel accounts it ({@code mm->locked_vm} against
 * {@code RLIMIT_MEMLOCK}, unchecked with {@code CAP_IPC_LOCK}): what advice for an ENOMEM needs.
 *
 * @param limitBytes the soft RLIMIT_MEMLOCK in bytes, {@link #UNLIMITED} for RLIM_INFINITY
 * @param lockedBytes {@code locked_vm} in bytes so far, {@link #UNKNOWN} if it cannot be read
 * @param capIpcLock whether the caller holds CAP_IPC_LOCK (then the limit is not checked)
 */
public record LockedMemory(long limitBytes, long lockedBytes, boolean capIpcLock) {
    /** RLIM_INFINITY. */
    public static final long UNLIMITED = Long.MAX_VALUE;
    /** A value the backend cannot read. */
    public static final long UNKNOWN = -1;

    /** Whether the kernel checks the limit at all for this process. */
    public boolean limited() {
        return !capIpcLock && limitBytes != UNLIMITED;
    }
}
