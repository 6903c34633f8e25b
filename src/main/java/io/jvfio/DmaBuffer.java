package io.jvfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Process memory a device can reach once registered and mapped. The segment belongs to a shared
 * arena whose cleanup is munmap: {@link #close()} from any thread unmaps it, and any later access
 * through the segment throws {@link IllegalStateException} instead of faulting.
 */
public final class DmaBuffer implements AutoCloseable {
    private final Vfio vfio;
    private final Arena arena;
    private final MemorySegment segment;
    private final long pageSize;
    private final boolean hugetlb;

    DmaBuffer(Vfio vfio, Arena arena, MemorySegment segment, long pageSize, boolean hugetlb) {
        this.vfio = vfio;
        this.arena = arena;
        this.segment = segment;
        this.pageSize = pageSize;
        this.hugetlb = hugetlb;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** The page size backing the memory: the largest TCE page it can be mapped with. */
    public long pageSize() {
        return pageSize;
    }

    public boolean hugetlb() {
        return hugetlb;
    }

    public long size() {
        return segment.byteSize();
    }

    public long address() {
        return segment.address();
    }

    public boolean isAlive() {
        return arena.scope().isAlive();
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            vfio.release(this);
            arena.close();
            vfio.closed(this);
        }
    }
}
