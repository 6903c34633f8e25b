package io.jvfio;

import java.lang.foreign.MemorySegment;

/**
 * A {@link DmaMapper}'s lookups for its checks, cached on its thread: the window and the registration
 * its last call fell in, kept while the container's window set and registration set are the same
 * arrays (every change replaces the array). A driver maps into the same window and registered buffer
 * call after call, so a check is then a few compares, not a walk over the sets: under QEMU's TCG, where
 * every guest instruction costs, that walk was a good part of the mapper's cost above the seam.
 */
final class MapperLookups {
    private final DmaTracking tracking;
    private DmaWindow[] windowsSeen;
    /** The window the last IOVA fell in, or null. */
    private DmaWindow window;
    private MemorySegment[] registrationsSeen;
    /** The registration the last MAP's range lay wholly in, as bounds and scope; none while {@code scope} is null. */
    private long regStart;
    private long regSize;
    private MemorySegment.Scope regScope;

    MapperLookups(DmaTracking tracking) {
        this.tracking = tracking;
    }

    /** The window {@code iova} falls in, or null, as {@link DmaTracking#windowAt(long)}. */
    DmaWindow windowAt(long iova) {
        DmaWindow[] ws = tracking.windowSet();
        DmaWindow w = window;
        if (ws != windowsSeen || w == null || !w.contains(iova)) {
            w = DmaTracking.windowAt(ws, iova);
            windowsSeen = ws;
            window = w;
        }
        return w;
    }

    /**
     * As {@link DmaTracking#requireLiveRegistration(long, long)}. A range inside one registration
     * overlaps no other (the kernel refuses overlapping registrations), so that registration's scope is
     * the one to check.
     */
    void requireLiveRegistration(long vaddr, long size) {
        MemorySegment[] rs = tracking.registrationSet();
        MemorySegment.Scope scope = regScope;
        if (rs == registrationsSeen && scope != null && size != 0 && Long.compareUnsigned(vaddr - regStart, regSize) < 0
                && Long.compareUnsigned(size, regSize - (vaddr - regStart)) <= 0 && scope.isAlive()) {
            return;
        }
        DmaTracking.requireLiveRegistration(rs, vaddr, size);
        registrationsSeen = rs;
        regScope = null;
        for (MemorySegment m : rs) {
            long start = m.address();
            long len = m.byteSize();
            if (Long.compareUnsigned(vaddr - start, len) < 0 && Long.compareUnsigned(size, len - (vaddr - start)) <= 0) {
                regStart = start;
                regSize = len;
                regScope = m.scope();
                return;
            }
        }
    }
}
