package io.jvfio;

import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_MAP_DMA;
import static io.jvfio.abi.VfioIoctl.VFIO_IOMMU_UNMAP_DMA;

import io.jvfio.backend.VfioBackend;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Objects;

/**
 * A thread-confined MAP_DMA/UNMAP_DMA handle on a {@link Container}: what a driver's I/O thread opens
 * once ({@link Container#mapper()}) and maps and unmaps through on its hot path. It checks what
 * {@link Container#map(long, long, long, DmaDirection)} and {@link Container#unmap(long, long)} check
 * (a range leaving its window is refused before the ioctl, as is freed registered memory) and throws
 * the same exceptions, with nothing per call that another thread touches:
 * <ul>
 *   <li>no close-guard atomics: the mapper holds the container's fd from {@link Container#mapper()}
 *       to {@link #close()}, so the fd number cannot be closed and reused under a call;</li>
 *   <li>no {@code ThreadLocal}: the MAP argument struct, the UNMAP argument struct and the errno
 *       capture buffer are one segment the mapper owns, filled through the {@code abi} fields (a
 *       call stores only the fields that differ from the last call's) and passed down the seam
 *       ({@link VfioBackend#iommuMapDma(int, MemorySegment, MemorySegment)});</li>
 *   <li>no walk over the container's windows and registrations: the window and the registration the
 *       last call fell in are cached on the mapper's thread while those sets stay the same (the sets
 *       are read opaquely, no barrier: a change ordered before the call by the caller is seen), and
 *       the cached registration's arena is checked on every call;</li>
 *   <li>no lock: what is mapped is recorded in the mapper's own table, published to other threads
 *       (a buffer's {@link DmaBuffer#close()}) by a single-writer sequence lock, i.e. ordered plain
 *       stores.</li>
 * </ul>
 * What remains per call is a thread check ({@link Thread#currentThread()}) and one opaque read of
 * the mapper's own state (no memory barrier), which is how it learns that its container closed: {@link Container#close()}
 * (or the last group's detach, which releases the IOMMU) marks every open mapper unusable before it
 * closes anything. A call already past that check when the container closes still reaches the open
 * fd (the mapper holds it), and the kernel answers it; the next call throws.
 *
 * <p>Confinement: every method but {@link #close()} must be called on the thread that opened the
 * mapper, else {@link WrongThreadException}; {@link #close()} from another thread throws it too. Open
 * one mapper per I/O thread. Mappings made through a mapper are the container's like any other: they
 * stay mapped when the mapper closes (the container then tracks them), a buffer's
 * {@link DmaBuffer#close()} from any thread unmaps those that point into it, and the container's close
 * releases them all.
 *
 * <p>Closing releases the mapper's hold on the container fd: after the container's close, the fd is
 * really closed when the last mapper closes. A mapper that is never closed releases its hold once it
 * is unreachable, which the container allows from its close on (it then drops its mappers).
 */
public final class DmaMapper implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final VarHandle UNUSABLE;

    static {
        try {
            UNUSABLE = MethodHandles.lookup().findVarHandle(DmaMapper.class, "unusable", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final String WRONG_THREAD = "open one mapper per thread (Container.mapper()) and use it there";

    private final Container container;
    private final VfioBackend backend;
    private final DmaTracking tracking;
    private final ContainerIoctls ioctls;
    private final Thread owner;
    private final int fd;
    private final MapperArgs args = new MapperArgs();
    private final MapperMappings mapped = new MapperMappings();
    private final KernelGuards guards;
    private final MapperLookups lookups;
    private final Cleaner.Cleanable hold;
    /**
     * Null while usable; else why not. Written by close() and by the container's close or last detach
     * (volatile writes); the calls read it opaquely: no barrier (an acquire load on POWER ends QEMU's
     * translation block), yet a write is seen by the next calls and never hoisted out of a loop. Safety
     * does not hang on when it is seen: the mapper holds the fd.
     */
    private volatile String unusable;

    DmaMapper(Container container, VfioBackend backend, DmaTracking tracking, ContainerIoctls ioctls, FdHandle fdHandle) {
        this.container = container;
        this.backend = backend;
        this.tracking = tracking;
        this.ioctls = ioctls;
        this.owner = Thread.currentThread();
        this.guards = container.guards;
        this.lookups = new MapperLookups(tracking);
        this.fd = fdHandle.acquire();
        // Released once: by close(), or by the cleaner when a mapper never closed becomes unreachable.
        this.hold = CLEANER.register(this, fdHandle::release);
    }

    /**
     * The container this mapper maps in.
     *
     * @return the container that opened it
     */
    public Container container() {
        return container;
    }

    /**
     * VFIO_IOMMU_MAP_DMA of all of {@code memory} at {@code iova}: as
     * {@link Container#map(long, MemorySegment, DmaDirection)}.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param memory registered (v2) process memory, all of which is mapped
     * @param direction which way the device may move data
     * @throws VfioGuardException if the range would cross its window's end (nothing is issued)
     * @throws VfioException if the kernel refused (see {@link Container#map(long, MemorySegment, DmaDirection)})
     * @throws IllegalStateException if the mapper or its container is closed, or the memory already freed
     * @throws WrongThreadException if called from a thread other than the one that opened the mapper
     * @throws NullPointerException if {@code memory} or {@code direction} is null
     */
    public void map(long iova, MemorySegment memory, DmaDirection direction) throws VfioException {
        checkUsable();
        DmaTracking.requireAlive(memory);
        map(iova, memory.address(), memory.byteSize(), direction);
    }

    /**
     * VFIO_IOMMU_MAP_DMA by address: as {@link Container#map(long, long, long, DmaDirection)}.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param vaddr the process address of registered (v2) memory
     * @param size bytes, a multiple of the window's TCE page
     * @param direction which way the device may move data
     * @throws VfioGuardException if the range would cross its window's end (nothing is issued)
     * @throws VfioException if the kernel refused (see {@link Container#map(long, MemorySegment, DmaDirection)})
     * @throws IllegalStateException if the mapper or its container is closed, or the range lies in
     *     freed registered memory
     * @throws WrongThreadException if called from a thread other than the one that opened the mapper
     * @throws NullPointerException if {@code direction} is null
     */
    public void map(long iova, long vaddr, long size, DmaDirection direction) throws VfioException {
        checkUsable();
        Objects.requireNonNull(direction, "direction");
        lookups.requireLiveRegistration(vaddr, size);
        guards.map(tracking, lookups.windowAt(iova), iova, size);
        long r = backend.iommuMapDma(fd, args.map(direction.flags(), vaddr, iova, size), args.errno());
        ioctls.completed(VFIO_IOMMU_MAP_DMA, fd, r, iova, size);
        guards.mapped();
        mapped.mapped(iova, size, vaddr);
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA: as {@link Container#unmap(long, long)}. Unmapping space that is not mapped
     * succeeds.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param size bytes, a multiple of the window's TCE page
     * @throws VfioGuardException if the range would leave its window on a kernel without the range
     *     check fix (nothing is issued; see {@link Container#unmap(long, long)})
     * @throws VfioException if the kernel refused (EINVAL: unaligned; ENXIO: no window there)
     * @throws IllegalStateException if the mapper or its container is closed
     * @throws WrongThreadException if called from a thread other than the one that opened the mapper
     */
    public void unmap(long iova, long size) throws VfioException {
        checkUsable();
        if (guards.checksUnmap()) {
            guards.unmap(tracking, lookups.windowAt(iova), iova, size);
        }
        long r = backend.iommuUnmapDma(fd, args.unmap(iova, size), args.errno());
        ioctls.completed(VFIO_IOMMU_UNMAP_DMA, fd, r, iova, size);
        mapped.unmapped(iova, size);
    }

    /**
     * Whether calls can still be made: false after {@link #close()}, the container's close or its last
     * group's detach.
     *
     * @return true while usable
     */
    public boolean isOpen() {
        return unusable == null;
    }

    private void checkUsable() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
        String why = (String) UNUSABLE.getOpaque(this);
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    private WrongThreadException wrongThread() {
        return new WrongThreadException("this DmaMapper belongs to thread '" + owner.getName() + "', not '"
                + Thread.currentThread().getName() + "': " + WRONG_THREAD);
    }

    /** What this mapper has mapped into process memory {@code [va, va+len)}, as {@code {iova, size}} pairs; any thread. */
    long[] rangesInto(long va, long len) {
        return unusable != null ? new long[0] : mapped.rangesInto(va, len);
    }

    /**
     * The container closed or lost its IOMMU (the kernel released every mapping): later calls throw.
     * Any thread; the fd hold goes when the mapper closes.
     */
    void invalidate(String why) {
        unusable = why;
    }

    /**
     * Closes the mapper on its thread: its live mappings stay mapped and the container tracks them from
     * now on, and its hold on the container fd is released. Idempotent.
     *
     * @throws WrongThreadException if called from a thread other than the one that opened the mapper
     */
    @Override
    public void close() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
        if (unusable == null) {
            // Adopted before it turns unusable, so that a buffer freed meanwhile sees the mappings in either.
            tracking.mappings.adopt(mapped.entries());
            unusable = "the DmaMapper is closed";
        }
        tracking.closed(this);
        hold.clean();
    }
}
