package io.jvfio.toolkit;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.IommuType;
import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Process memory for DMA with its whole VFIO lifecycle handled: allocation (anonymous or hugetlb,
 * aligned to and sized in whole IOMMU pages), registration with each SPAPR v2 container it is mapped
 * into (REGISTER_MEMORY before the first MAP_DMA), its mappings, and teardown in the only safe order:
 * unmap every mapping, then unregister, then free.
 *
 * <p>The memory is owned by a private shared arena: {@link #segment()} stays valid until
 * {@link #close()}, after which any access throws {@link IllegalStateException} instead of touching
 * freed memory. A device cannot reach freed memory either: close unmaps every IOVA first.
 *
 * <pre>{@code
 * try (DmaMemory mem = DmaMemory.allocate(vfio, 1 << 20, Backing.ANONYMOUS)) {
 *     mem.map(container, iova, DmaDirection.BIDIRECTIONAL); // REGISTER (v2) + MAP
 *     ...
 * }                                                          // UNMAP, UNREGISTER, munmap
 * }</pre>
 *
 * Most drivers use {@link DmaSession#map(DmaMemory)}, which also chooses the IOVA. Thread-safe.
 */
public final class DmaMemory implements AutoCloseable {
    /** Undoes one mapping: a plain UNMAP, or freeing the IOVA range in a session's allocator (which unmaps). */
    @FunctionalInterface
    interface Release {
        void release() throws VfioException;
    }

    /** One mapping of this memory (or a part of it) into a container. */
    public record Mapping(long iova, long offset, long size, DmaDirection direction) {}

    private static final class Binding {
        boolean registered;
        final List<Mapping> mappings = new ArrayList<>();
        final List<Release> releases = new ArrayList<>();
    }

    private final DmaBuffer buffer;
    private final Backing backing;
    private final long iommuPageSize;
    /** Per container, in the order first used. */
    private final Map<Container, Binding> bindings = new LinkedHashMap<>();
    private boolean closed;

    private DmaMemory(DmaBuffer buffer, Backing backing, long iommuPageSize) {
        this.buffer = buffer;
        this.backing = backing;
        this.iommuPageSize = iommuPageSize;
    }

    /** {@code size} bytes (rounded up to the backing page size) of {@code backing} memory. */
    public static DmaMemory allocate(Vfio vfio, long size, Backing backing) throws VfioException {
        return allocate(vfio, size, backing, 4096);
    }

    /**
     * {@code size} bytes rounded up to whole pages of both the backing and the IOMMU page size
     * {@code iommuPageSize} (the TCE page of the window it will be mapped into).
     *
     * @throws VfioGuardException when the IOMMU page is larger than the backing page: such a TCE would
     *     map memory beyond the page behind it, which the kernel refuses (EINVAL at MAP) — use hugetlb
     */
    public static DmaMemory allocate(Vfio vfio, long size, Backing backing, long iommuPageSize) throws VfioException {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        if (iommuPageSize <= 0 || Long.bitCount(iommuPageSize) != 1) {
            throw new IllegalArgumentException("IOMMU page size must be a power of two: " + iommuPageSize);
        }
        long page = backing.pageSize(vfio.backend());
        if (iommuPageSize > page) {
            throw new VfioGuardException("allocate " + Sizes.human(size) + " of " + backing + " DMA memory", 0,
                    String.format("%s TCE pages need memory backed by pages of at least %s, but %s memory has %s "
                                    + "pages: allocate HUGETLB memory, or plan a window with smaller TCE pages",
                            Sizes.human(iommuPageSize), Sizes.human(iommuPageSize), backing, Sizes.human(page)));
        }
        long unit = Math.max(page, iommuPageSize);
        long rounded = (size + unit - 1) & -unit;
        DmaBuffer b = vfio.allocate(rounded, backing == Backing.HUGETLB);
        return new DmaMemory(b, backing, iommuPageSize);
    }

    /** The memory. Valid until {@link #close()}. */
    public MemorySegment segment() {
        return buffer.segment();
    }

    /** The process (virtual) address: what REGISTER_MEMORY and MAP_DMA take, never what a device uses. */
    public long address() {
        return buffer.address();
    }

    public long size() {
        return buffer.size();
    }

    public Backing backing() {
        return backing;
    }

    /** The page size backing the memory: the largest TCE page it can be mapped with. */
    public long pageSize() {
        return buffer.pageSize();
    }

    /** The IOMMU page size the memory was sized for. */
    public long iommuPageSize() {
        return iommuPageSize;
    }

    public synchronized boolean isAlive() {
        return !closed && buffer.isAlive();
    }

    /** Whether the memory is registered with {@code container} (v2). */
    public synchronized boolean isRegistered(Container container) {
        Binding b = bindings.get(container);
        return b != null && b.registered;
    }

    /** The mappings of this memory in {@code container}. */
    public synchronized List<Mapping> mappings(Container container) {
        Binding b = bindings.get(container);
        return b == null ? List.of() : List.copyOf(b.mappings);
    }

    /** The device address of the first mapping in {@code container}, if mapped there. */
    public synchronized Optional<Long> iova(Container container) {
        return mappings(container).stream().findFirst().map(Mapping::iova);
    }

    /**
     * Maps all of the memory at {@code iova} in {@code container}, registering it first when the
     * container is SPAPR v2 and it is not registered yet. The caller chose {@code iova}; to have one
     * chosen, use {@link DmaSession#map(DmaMemory)}.
     */
    public void map(Container container, long iova, DmaDirection direction) throws VfioException {
        map(container, iova, 0, size(), direction, () -> container.unmap(iova, size()));
    }

    /**
     * Maps {@code [offset, offset+size)} of the memory at {@code iova}; {@code release} undoes it
     * (unmaps, and may return the IOVA range to an allocator).
     */
    synchronized void map(Container container, long iova, long offset, long length, DmaDirection direction,
            Release release) throws VfioException {
        checkAlive();
        if (offset < 0 || length <= 0 || offset > size() - length) {
            throw new IllegalArgumentException(String.format("[0x%x, +0x%x) is outside the 0x%x bytes of memory",
                    offset, length, size()));
        }
        Binding b = bindings.computeIfAbsent(container, c -> new Binding());
        boolean registeredNow = false;
        if (!b.registered && container.iommuType().orElse(null) == IommuType.SPAPR_TCE_V2) {
            container.registerMemory(segment());
            b.registered = true;
            registeredNow = true;
        }
        try {
            container.map(iova, address() + offset, length, direction);
        } catch (VfioException e) {
            if (registeredNow && b.mappings.isEmpty()) {
                unregisterQuietly(container, b, e);
            }
            if (!b.registered && b.mappings.isEmpty()) {
                bindings.remove(container);
            }
            throw e;
        }
        b.mappings.add(new Mapping(iova, offset, length, direction));
        b.releases.add(release);
    }

    private void unregisterQuietly(Container container, Binding b, Exception cause) {
        try {
            container.unregisterMemory(segment());
            b.registered = false;
        } catch (VfioException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Unmaps every mapping of this memory in {@code container}, then unregisters it (v2). The memory
     * stays allocated and can be mapped again.
     */
    public synchronized void unmap(Container container) throws VfioException {
        Binding b = bindings.get(container);
        if (b == null) {
            return;
        }
        while (!b.releases.isEmpty()) {
            int last = b.releases.size() - 1;
            b.releases.get(last).release();
            b.releases.remove(last);
            b.mappings.remove(last);
        }
        if (b.registered && container.isOpen()) {
            container.unregisterMemory(segment());
        }
        b.registered = false;
        bindings.remove(container);
    }

    /** Unmaps the one mapping at {@code iova} in {@code container}; stays registered. */
    synchronized void unmapOne(Container container, long iova) throws VfioException {
        Binding b = bindings.get(container);
        if (b == null) {
            return;
        }
        for (int i = 0; i < b.mappings.size(); i++) {
            if (b.mappings.get(i).iova() == iova) {
                b.releases.get(i).release();
                b.releases.remove(i);
                b.mappings.remove(i);
                return;
            }
        }
    }

    /** Drops what this memory knows about {@code container} without any ioctl: the container is gone. */
    synchronized void forget(Container container) {
        bindings.remove(container);
    }

    /** The containers this memory is registered with or mapped into. */
    synchronized List<Container> containers() {
        return List.copyOf(bindings.keySet());
    }

    private void checkAlive() throws VfioGuardException {
        if (closed || !buffer.isAlive()) {
            throw new VfioGuardException("map DMA memory", 0, "the memory was closed");
        }
    }

    /**
     * Unmaps every mapping in every container, unregisters the memory from each v2 container, then
     * frees it. Every step is attempted; the first failure is thrown (as {@link IllegalStateException}
     * with the {@link VfioException} as cause) after the memory is freed. A failed UNREGISTER leaves the
     * pages pinned by the kernel until the container closes, so freeing is still safe. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        VfioException first = null;
        for (Container c : List.copyOf(bindings.keySet())) {
            try {
                if (c.isOpen()) {
                    unmap(c);
                } else {
                    bindings.remove(c);
                }
            } catch (VfioException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
                bindings.remove(c);
            }
        }
        buffer.close();
        if (first != null) {
            throw new IllegalStateException("DMA memory teardown: " + first.getMessage(), first);
        }
    }

    @Override
    public synchronized String toString() {
        return String.format("DmaMemory[%s %s, %s pages%s]", Sizes.human(size()), backing, Sizes.human(pageSize()),
                closed ? ", closed" : bindings.isEmpty() ? "" : ", mapped in " + bindings.size() + " container(s)");
    }
}
