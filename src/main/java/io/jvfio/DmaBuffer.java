package io.jvfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Process memory a device can reach once registered and mapped. The segment belongs to a shared
 * arena whose cleanup is munmap: {@link #close()} from any thread unmaps it, and any later access
 * through the segment throws {@link IllegalStateException} instead of faulting.
 *
 * <p>Freeing never leaves the device a way in: {@link #close()} first unmaps every IOVA range that
 * maps this memory and unregisters it, in every open container of the {@link Vfio} that allocated
 * it; only then is the memory returned. A registration the platform refuses to undo keeps the buffer
 * allocated (see {@link #close()}).
 *
 * <p>Thread-safe: the segment may be read and written from any thread (it is a shared arena's), and
 * {@link #close()} is synchronized.
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

    /**
     * The memory, for reads and writes and for {@link Container#registerMemory} and {@link Container#map}.
     *
     * @return the segment; accessing it after {@link #close()} throws {@link IllegalStateException}
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The page size backing the memory: the largest TCE page it can be mapped with.
     *
     * @return bytes: the base page, or the huge page size for hugetlb memory
     */
    public long pageSize() {
        return pageSize;
    }

    /**
     * Whether the memory is MAP_HUGETLB.
     *
     * @return true for huge pages
     */
    public boolean hugetlb() {
        return hugetlb;
    }

    /**
     * The buffer's length.
     *
     * @return bytes, a multiple of {@link #pageSize()}
     */
    public long size() {
        return segment.byteSize();
    }

    /**
     * The process virtual address, for {@link Container#map(long, long, long, DmaDirection)}.
     *
     * @return the address; it stays the same (and meaningless) after {@link #close()}
     */
    public long address() {
        return segment.address();
    }

    /**
     * Whether the memory is still allocated.
     *
     * @return false after {@link #close()} or the owning {@link Vfio}'s close
     */
    public boolean isAlive() {
        return arena.scope().isAlive();
    }

    /**
     * Unmaps and unregisters the memory in the allocating {@link Vfio}'s open containers, then frees it.
     * Idempotent.
     *
     * @throws IllegalStateException if the platform refused to undo a mapping or registration; the
     *     buffer then stays allocated (the device may still reach it) until its container closes
     */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            vfio.release(this);
            arena.close();
            vfio.closed(this);
        }
    }
}
