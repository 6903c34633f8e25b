package io.jvfio.toolkit;

import io.jvfio.DmaWindow;
import io.jvfio.Sizes;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Hands out IOVA ranges inside one DMA window, aligned to the window's TCE page size.
 *
 * <p>Free space is a list of blocks ordered by address, plus the same blocks ordered by size:
 * allocation is <em>best fit</em> (the smallest block that fits, the lowest address among equals;
 * the range is cut from the block's low end), and freeing coalesces a range with its free
 * neighbours, so a window that is filled and emptied in any order ends as one block again. Both
 * operations are O(log n) in the number of free blocks (an alignment above the page size may scan).
 *
 * <p>Freeing a range first unmaps it through the allocator's {@link Unmapper} (normally
 * {@code container::unmap}): an IOVA never goes back to the free list while TCEs still point at
 * memory through it. If the unmap fails, the range stays allocated and the error is thrown.
 *
 * <p>Thread-safe.
 */
public final class IovaAllocator {
    /** Unmaps {@code [iova, iova+size)}; called by {@link #free} before the range is reused. */
    @FunctionalInterface
    public interface Unmapper {
        void unmap(long iova, long size) throws VfioException;

        /** For an allocator that only does arithmetic (plans, tests). */
        Unmapper NONE = (iova, size) -> {};
    }

    private record Block(long start, long size) {}

    private static final Comparator<Block> BY_SIZE =
            Comparator.comparingLong(Block::size).thenComparingLong(Block::start);

    private final long start;
    private final long size;
    private final long pageSize;
    private final Unmapper unmapper;
    /** Free blocks by start address: start -> size. */
    private final TreeMap<Long, Long> freeByStart = new TreeMap<>();
    /** The same free blocks by (size, start), for best fit. */
    private final TreeSet<Block> freeBySize = new TreeSet<>(BY_SIZE);
    /** Allocated ranges: start -> size. */
    private final TreeMap<Long, Long> allocated = new TreeMap<>();
    private long freeBytes;

    /**
     * An allocator over {@code [start, start+size)} with {@code pageSize} granularity.
     *
     * @throws IllegalArgumentException if the page size is not a power of two, or the window is
     *     empty, not page-aligned, or ends above {@link Long#MAX_VALUE}
     */
    public IovaAllocator(long start, long size, long pageSize, Unmapper unmapper) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        if (size <= 0 || start < 0 || start > Long.MAX_VALUE - size) {
            throw new IllegalArgumentException(String.format("window [0x%x, +0x%x) is empty or too high", start, size));
        }
        if ((start | size) % pageSize != 0) {
            throw new IllegalArgumentException(String.format("window [0x%x, +0x%x) is not aligned to its %s pages",
                    start, size, Sizes.human(pageSize)));
        }
        this.start = start;
        this.size = size;
        this.pageSize = pageSize;
        this.unmapper = unmapper == null ? Unmapper.NONE : unmapper;
        insertFree(start, size);
        freeBytes = size;
    }

    /** An allocator over a container's window; {@code unmapper} is usually {@code container::unmap}. */
    public IovaAllocator(DmaWindow window, Unmapper unmapper) {
        this(window.start(), window.size(), window.pageSize(), unmapper);
    }

    public long windowStart() {
        return start;
    }

    public long windowSize() {
        return size;
    }

    public long pageSize() {
        return pageSize;
    }

    /** The window's size: what {@link #freeBytes()} returns when nothing is allocated. */
    public long capacity() {
        return size;
    }

    /** {@code length} rounded up to the TCE page size. */
    public long roundUp(long length) {
        return (length + pageSize - 1) & -pageSize;
    }

    /**
     * A range of at least {@code length} bytes (rounded up to the page size), best fit.
     *
     * @throws VfioGuardException when no free block is large enough
     */
    public IovaRange allocate(long length) throws VfioGuardException {
        return allocate(length, pageSize);
    }

    /**
     * A range of at least {@code length} bytes whose start is a multiple of {@code alignment} (a
     * power of two; below the page size it means the page size).
     *
     * @throws VfioGuardException when no free block can hold it
     */
    public synchronized IovaRange allocate(long length, long alignment) throws VfioGuardException {
        Optional<IovaRange> r = tryAllocate(length, alignment);
        if (r.isEmpty()) {
            throw new VfioGuardException(String.format("allocate IOVA range of %s in window [0x%x, 0x%x)",
                    Sizes.human(roundUp(length)), start, start + size), 0,
                    String.format("no free block fits: %s free in %d block(s), the largest %s; free mappings, or "
                            + "plan a bigger window (DmaSession options: budget)", Sizes.human(freeBytes),
                            freeByStart.size(), Sizes.human(largestFree())));
        }
        return r.get();
    }

    /** Like {@link #allocate(long)}, but empty instead of an exception when nothing fits. */
    public Optional<IovaRange> tryAllocate(long length) {
        return tryAllocate(length, pageSize);
    }

    /** Like {@link #allocate(long, long)}, but empty instead of an exception when nothing fits. */
    public synchronized Optional<IovaRange> tryAllocate(long length, long alignment) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive: " + length);
        }
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        if (length > size) {
            return Optional.empty();
        }
        long need = roundUp(length);
        long align = Math.max(alignment, pageSize);
        // Best fit: walk the blocks from the smallest that is large enough; the first one that can
        // hold the aligned range is the best. With page alignment that is always the first.
        for (Block b : freeBySize.tailSet(new Block(Long.MIN_VALUE, need), true)) {
            long at = (b.start() + align - 1) & -align;
            long end = b.start() + b.size();
            if (at >= b.start() && at <= end - need) {
                removeFree(b.start(), b.size());
                if (at > b.start()) {
                    insertFree(b.start(), at - b.start());
                }
                if (at + need < end) {
                    insertFree(at + need, end - (at + need));
                }
                allocated.put(at, need);
                freeBytes -= need;
                return Optional.of(new IovaRange(at, need));
            }
        }
        return Optional.empty();
    }

    /**
     * Unmaps {@code range} (through the {@link Unmapper}) and returns it to the free list, merged
     * with free neighbours.
     *
     * @throws IllegalArgumentException if {@code range} is not exactly a range this allocator handed out
     * @throws VfioException from the unmap; the range then stays allocated
     */
    public synchronized void free(IovaRange range) throws VfioException {
        Long have = allocated.get(range.start());
        if (have == null || have != range.size()) {
            throw new IllegalArgumentException("not an allocated range of this allocator: " + range
                    + (have == null ? "" : " (allocated size 0x" + Long.toHexString(have) + ")"));
        }
        unmapper.unmap(range.start(), range.size());
        allocated.remove(range.start());
        freeBytes += range.size();
        long s = range.start();
        long len = range.size();
        Map.Entry<Long, Long> before = freeByStart.floorEntry(s);
        if (before != null && before.getKey() + before.getValue() == s) {
            removeFree(before.getKey(), before.getValue());
            s = before.getKey();
            len += before.getValue();
        }
        Long afterSize = freeByStart.get(s + len);
        if (afterSize != null) {
            removeFree(s + len, afterSize);
            len += afterSize;
        }
        insertFree(s, len);
    }

    /** Frees every allocated range, lowest address first. Stops at, and throws, the first unmap failure. */
    public synchronized void freeAll() throws VfioException {
        for (IovaRange r : allocatedRanges()) {
            free(r);
        }
    }

    private void insertFree(long s, long len) {
        freeByStart.put(s, len);
        freeBySize.add(new Block(s, len));
    }

    private void removeFree(long s, long len) {
        freeByStart.remove(s);
        freeBySize.remove(new Block(s, len));
    }

    public synchronized long freeBytes() {
        return freeBytes;
    }

    public synchronized long allocatedBytes() {
        return size - freeBytes;
    }

    /** The largest range {@link #allocate(long)} could return now. */
    public synchronized long largestFree() {
        return freeBySize.isEmpty() ? 0 : freeBySize.last().size();
    }

    /** Number of free blocks: 1 for an empty window, more when fragmented (0 when full). */
    public synchronized int freeBlockCount() {
        return freeByStart.size();
    }

    /** The free blocks, by address. */
    public synchronized List<IovaRange> freeRanges() {
        List<IovaRange> l = new ArrayList<>(freeByStart.size());
        freeByStart.forEach((s, len) -> l.add(new IovaRange(s, len)));
        return l;
    }

    /** The allocated ranges, by address. */
    public synchronized List<IovaRange> allocatedRanges() {
        List<IovaRange> l = new ArrayList<>(allocated.size());
        allocated.forEach((s, len) -> l.add(new IovaRange(s, len)));
        return l;
    }

    /** The allocated range containing {@code iova}, if any. */
    public synchronized Optional<IovaRange> allocatedAt(long iova) {
        Map.Entry<Long, Long> e = allocated.floorEntry(iova);
        if (e != null && iova - e.getKey() < e.getValue()) {
            return Optional.of(new IovaRange(e.getKey(), e.getValue()));
        }
        return Optional.empty();
    }

    @Override
    public synchronized String toString() {
        return String.format("IovaAllocator[0x%x, 0x%x) %s pages: %s free in %d block(s), %d range(s) allocated",
                start, start + size, Sizes.human(pageSize), Sizes.human(freeBytes), freeByStart.size(),
                allocated.size());
    }
}
