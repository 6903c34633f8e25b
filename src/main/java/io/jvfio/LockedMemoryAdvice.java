package io.jvfio;

import io.jvfio.backend.LockedMemory;

/**
 * Advice for an ENOMEM from a call that charges locked memory (v1 ENABLE, v2 REGISTER_MEMORY and
 * TCE_CREATE): the limit in force, what the call needed, and the exact fix for a shell, a systemd
 * unit and limits.conf, or CAP_IPC_LOCK. Without a limit in force the ENOMEM is not the limit's.
 */
final class LockedMemoryAdvice {
    private LockedMemoryAdvice() {}

    /**
     * @param m the process's locked memory when the call failed
     * @param neededBytes what the call charges ({@code locked_vm} pages times the page size)
     * @param what the call, for the message ("this REGISTER_MEMORY")
     */
    static String advice(LockedMemory m, long neededBytes, String what) {
        if (!m.limited()) {
            return "not the locked-memory limit (" + (m.capIpcLock() ? "the process has CAP_IPC_LOCK"
                    : "RLIMIT_MEMLOCK is unlimited") + "): the kernel could not allocate the " + size(neededBytes)
                    + " " + what + " pins or charges; free memory, or ask for a smaller region or window";
        }
        boolean known = m.lockedBytes() >= 0;
        if (known && Long.compareUnsigned(m.lockedBytes() + neededBytes, m.limitBytes()) <= 0) {
            return "not the locked-memory limit: " + size(m.lockedBytes()) + " locked and the " + size(neededBytes) + " "
                    + what + " charges fit RLIMIT_MEMLOCK " + size(m.limitBytes())
                    + "; the kernel could not allocate memory: free memory, or ask for a smaller region or window";
        }
        long atLeast = roundUpKiB((known ? m.lockedBytes() : 0) + neededBytes);
        long kib = atLeast >>> 10;
        return "locked memory limit reached: " + what + " needs " + size(neededBytes) + " of locked memory, RLIMIT_MEMLOCK is "
                + size(m.limitBytes()) + (known ? " and " + size(m.lockedBytes()) + " is locked already" : "")
                + ", so the limit must be at least " + size(atLeast) + (known ? "" : " plus what is locked already")
                + ": run `ulimit -l " + kib + "` in the shell that starts the program, set `LimitMEMLOCK="
                + kib + "K` in its systemd unit's [Service] section, or add `USER - memlock " + kib
                + "` to /etc/security/limits.conf; or grant CAP_IPC_LOCK (systemd: AmbientCapabilities=CAP_IPC_LOCK)";
    }

    /** The charge of a TCE table: {@code table_size >> PAGE_SHIFT} pages (pSeries: 8 bytes a TCE; ~4 GiB for levels > 1). */
    static long tableCharge(int pageShift, long windowSize, int levels, long pageSize) {
        long table = levels > 1 ? 0xffffffffL : (pageShift < 3 || pageShift > 66 ? 0 : windowSize >>> (pageShift - 3));
        return table & -pageSize;
    }

    /** What {@code bytes} of memory charge: whole pages. */
    static long pagesCharge(long bytes, long pageSize) {
        return (bytes + pageSize - 1) & -pageSize;
    }

    private static long roundUpKiB(long v) {
        return (v + 1023) & ~1023L;
    }

    private static String size(long bytes) {
        String h = Sizes.human(bytes);
        return Character.isDigit(h.charAt(h.length() - 1)) ? bytes + " bytes" : h + "iB";
    }
}
