package io.jvfio;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A VFIO container ({@code /dev/vfio/vfio}): the IOMMU context that groups attach to, with its DMA
 * windows and mappings.
 *
 * <p>The container tracks its windows (the default window from GET_INFO, and those it creates) so
 * that {@link #map} can refuse, before any ioctl, a mapping that would cross the end of its window:
 * on the pSeries kernel (6.12.95 and 7.2.12 alike) such a MAP_DMA oopses the kernel.
 *
 * <p>Closing the container first closes the groups attached through this API (and their devices),
 * so the order device, group, container always holds and no fd is leaked.
 *
 * <p>Thread-safe: every method may be called from any thread (MAP and UNMAP from several threads at
 * once is the intended use), and {@link #close()} from another thread makes later calls throw
 * {@link IllegalStateException}, never reach a reused fd.
 */
public final class Container implements AutoCloseable {
    private final Vfio vfio;
    private final VfioBackend backend;
    private final FdHandle fd;
    private final List<Group> groups = new CopyOnWriteArrayList<>();
    private volatile IommuType type;
    /** The windows, registrations and mappings, and the checks against them. */
    private final DmaTracking tracking;
    private final ContainerIoctls ioctls;
    final KernelGuards guards;
    private static final String CLOSED = "the container is closed";

    Container(Vfio vfio, FdHandle fd) {
        this.vfio = vfio;
        this.backend = vfio.backend();
        this.fd = fd;
        this.tracking = new DmaTracking(backend);
        this.ioctls = new ContainerIoctls(backend, fd);
        this.guards = new KernelGuards(backend);
    }

    /**
     * The {@link Vfio} that opened this container.
     *
     * @return its owner
     */
    public Vfio vfio() {
        return vfio;
    }

    int acquire() {
        return fd.acquire();
    }

    void release() {
        fd.release();
    }

    /** Refuses a further group where joining would crash the running kernel ({@link KernelGuards#attach}). */
    void guardAttach(Group g) throws VfioGuardException {
        guards.attach(g.number(), type == IommuType.SPAPR_TCE_V2 && !groups.isEmpty() && !tracking.windows().isEmpty());
    }

    void attached(Group g) { groups.add(g); }

    void detached(Group g) {
        groups.remove(g);
        if (groups.isEmpty()) {
            // The last group's detach releases the IOMMU driver in the kernel: back to no type.
            // The kernel releases the windows, the mappings and the registrations with it.
            type = null;
            guards.windowMade(false);
            tracking.forgetWindows();
            tracking.forgetAll("the container's last group was detached, which released its IOMMU and every mapping: "
                    + "attach a group, set the IOMMU and open a new mapper");
        }
    }

    /**
     * VFIO_GET_API_VERSION.
     *
     * @return 0 ({@code VFIO_API_VERSION}) on every kernel that has VFIO
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public int apiVersion() throws VfioException {
        return (int) ioctls.call(VFIO_GET_API_VERSION, "", backend::getApiVersion);
    }

    /**
     * VFIO_CHECK_EXTENSION.
     *
     * @param extension the extension number, e.g. {@link IommuType#value()} or 5 for VFIO_EEH
     * @return the kernel's answer, usually 0 or 1 (for VFIO_EEH, whether EEH is enabled)
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public long checkExtension(int extension) throws VfioException {
        return ioctls.call(VFIO_CHECK_EXTENSION, Integer.toString(extension), f -> backend.checkExtension(f, extension));
    }

    /**
     * Whether the kernel offers an IOMMU type.
     *
     * @param t the type
     * @return true when VFIO_CHECK_EXTENSION answers positive
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     * @throws NullPointerException if {@code t} is null
     */
    public boolean supports(IommuType t) throws VfioException {
        return checkExtension(t.value()) > 0;
    }

    /**
     * VFIO_SET_IOMMU. Needs an attached group. Also learns the default window from GET_INFO.
     *
     * @param t the type; on POWER {@link IommuType#SPAPR_TCE_V2} (or V1)
     * @throws VfioException if the kernel refused (EINVAL: no group attached, or already set)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     * @throws NullPointerException if {@code t} is null
     */
    public void setIommu(IommuType t) throws VfioException {
        ioctls.call(VFIO_SET_IOMMU, t.name(), f -> backend.setIommu(f, t.value()));
        type = t;
        if (t.isSpapr()) {
            tracking.setDefaultWindow(tceInfo());
        }
    }

    /**
     * The type set by {@link #setIommu}; the last group's detach clears it.
     *
     * @return the type, or empty
     */
    public Optional<IommuType> iommuType() {
        return Optional.ofNullable(type);
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_GET_INFO with the full 32-byte struct.
     *
     * @return the default window and, on v2, the dynamic windows on offer
     * @throws VfioException if the kernel refused (ENXIO: no group attached)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public TceInfo tceInfo() throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_info.fill(a.allocate(vfio_iommu_spapr_tce_info.LAYOUT));
            ioctls.call(VFIO_IOMMU_SPAPR_TCE_GET_INFO, "", f -> backend.spaprTceGetInfo(f, s));
            int flags = vfio_iommu_spapr_tce_info.flags.get(s);
            Optional<DdwInfo> ddw = (flags & VfioUapi.VFIO_IOMMU_SPAPR_INFO_DDW) == 0 ? Optional.empty()
                    : Optional.of(new DdwInfo(vfio_iommu_spapr_tce_info.ddw_pgsizes.get(s),
                            vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(s),
                            vfio_iommu_spapr_tce_info.ddw_levels.get(s)));
            return new TceInfo(flags, vfio_iommu_spapr_tce_info.dma32_window_start.getUnsigned(s),
                    vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(s), ddw);
        }
    }

    /**
     * VFIO_IOMMU_ENABLE (v1): charges the default window to locked memory; needed before mapping.
     *
     * @throws VfioException if the kernel refused (EBUSY: already enabled; ENOMEM: over RLIMIT_MEMLOCK;
     *     ENOTTY on v2)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public void enable() throws VfioException {
        simple(VFIO_IOMMU_ENABLE);
    }

    /**
     * VFIO_IOMMU_DISABLE (v1).
     *
     * @throws VfioException if the kernel refused the ioctl (ENOTTY on v2)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public void disable() throws VfioException {
        simple(VFIO_IOMMU_DISABLE);
    }

    private void simple(VfioIoctl ioctl) throws VfioException {
        ioctls.call(ioctl, "", tracking.defaultWindowCharge(backend.pageSize()),
                f -> ioctl == VFIO_IOMMU_ENABLE ? backend.iommuEnable(f) : backend.iommuDisable(f));
    }

    /**
     * VFIO_IOMMU_SPAPR_REGISTER_MEMORY (v2): pins the memory and lets it be mapped.
     *
     * @param memory page-aligned process memory, typically {@link DmaBuffer#segment()}
     * @throws VfioGuardException if {@code memory} is empty (nothing is issued: the 6.12 kernel logs a
     *     WARNING and fails with ENOMEM)
     * @throws VfioException if the kernel refused (EBUSY: already registered; EINVAL: unaligned or
     *     overlapping; ENOMEM: over RLIMIT_MEMLOCK)
     * @throws IllegalStateException if the container is closed or the memory already freed
     * @throws NullPointerException if {@code memory} is null
     */
    public void registerMemory(MemorySegment memory) throws VfioException {
        DmaTracking.requireAlive(memory);
        if (memory.byteSize() == 0) {
            throw new VfioGuardException("VFIO_IOMMU_SPAPR_REGISTER_MEMORY size=0",
                    VFIO_IOMMU_SPAPR_REGISTER_MEMORY.request(backend.arch()), "an empty segment: the 6.12 kernel "
                            + "logs a WARNING (vzalloc of 0 bytes) and fails with ENOMEM; register at least one page");
        }
        registration(VFIO_IOMMU_SPAPR_REGISTER_MEMORY, memory);
    }

    /**
     * VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY (v2): exactly the region registered; unmap it first.
     * {@link DmaBuffer#close()} does this itself.
     *
     * @param memory the segment that was registered (same address and size)
     * @throws VfioException if the kernel refused (ENOENT: not registered; EBUSY: still mapped)
     * @throws IllegalStateException if the container is closed or the memory already freed
     * @throws NullPointerException if {@code memory} is null
     */
    public void unregisterMemory(MemorySegment memory) throws VfioException {
        registration(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, memory);
    }

    private void registration(VfioIoctl ioctl, MemorySegment memory) throws VfioException {
        DmaTracking.requireAlive(memory);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_register_memory.fill(
                    a.allocate(vfio_iommu_spapr_register_memory.LAYOUT), memory.address(), memory.byteSize());
            ioctls.call(ioctl, "size=0x" + Long.toHexString(memory.byteSize()),
                    LockedMemoryAdvice.pagesCharge(memory.byteSize(), backend.pageSize()),
                    f -> ioctl == VFIO_IOMMU_SPAPR_REGISTER_MEMORY
                            ? backend.spaprRegisterMemory(f, s) : backend.spaprUnregisterMemory(f, s));
            tracking.tracked(memory, ioctl == VFIO_IOMMU_SPAPR_REGISTER_MEMORY);
        }
    }

    /**
     * Undoes what this container holds of the process memory {@code [address, address+size)}:
     * unmaps every IOVA range that maps into it, then unregisters every registration inside it. A
     * closed container holds nothing (the kernel released it all).
     */
    void release(long address, long size) throws VfioException {
        if (!isOpen()) {
            return;
        }
        try {
            long[] ranges = tracking.rangesInto(address, size);
            for (int i = 0; i < ranges.length; i += 2) {
                unmap(ranges[i], ranges[i + 1]);
            }
            for (MemorySegment m : tracking.registeredWithin(address, size)) {
                unregisterMemory(m);
            }
        } catch (IllegalStateException closedMeanwhile) {
            if (isOpen()) {
                throw closedMeanwhile;
            }
        }
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_CREATE (v2): a new window of {@code windowSize} bytes with 2^pageShift-byte
     * TCE pages. The platform chooses where it starts: use {@link DmaWindow#start()}.
     *
     * @param pageShift log2 of the TCE page size, one of {@link DdwInfo#pgsizes()}
     * @param windowSize bytes, a power of two
     * @param levels TCE table levels (1 on pSeries)
     * @return the new window, where the platform placed it
     * @throws VfioException if the kernel refused (ENOSPC: no free slot; EINVAL: bad size, page or
     *     levels; ENODEV: the hypervisor refused, and pSeries refuses every later DDW until reboot)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public DmaWindow createWindow(int pageShift, long windowSize, int levels) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_create.fill(a.allocate(vfio_iommu_spapr_tce_create.LAYOUT),
                    pageShift, windowSize, levels);
            ioctls.call(VFIO_IOMMU_SPAPR_TCE_CREATE, String.format("page_shift=%d window_size=0x%x levels=%d",
                    pageShift, windowSize, levels),
                    LockedMemoryAdvice.tableCharge(pageShift, windowSize, levels, backend.pageSize()),
                    f -> backend.spaprTceCreate(f, s));
            DmaWindow w = new DmaWindow(vfio_iommu_spapr_tce_create.start_addr.get(s), windowSize, pageShift, levels, false);
            tracking.addWindow(w);
            guards.mapped();
            return w;
        }
    }

    /**
     * VFIO_IOMMU_SPAPR_TCE_REMOVE (v2): removes the window containing {@code start}, clearing its TCEs
     * first (which costs time per TCE). {@code removeWindow(0)} on a fresh v2 container drops the
     * default window before it is ever created, which is how DPDK and QEMU make room for a DDW.
     *
     * @param start a bus address inside the window (its start)
     * @throws VfioException if the kernel refused (EINVAL: no window there)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public void removeWindow(long start) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_remove.fill(a.allocate(vfio_iommu_spapr_tce_remove.LAYOUT), start);
            ioctls.call(VFIO_IOMMU_SPAPR_TCE_REMOVE, "start_addr=0x" + Long.toHexString(start),
                    f -> backend.spaprTceRemove(f, s));
            tracking.removeTracked(start);
        }
    }

    /**
     * The windows this container knows of: the default one (until removed) and the created ones.
     *
     * @return an immutable snapshot
     */
    public List<DmaWindow> windows() {
        return tracking.windows();
    }

    /**
     * The window containing a bus address. Allocation-free.
     *
     * @param iova the bus address
     * @return the window, or null when none contains it
     */
    public DmaWindow windowAt(long iova) {
        return tracking.windowAt(iova);
    }

    /**
     * VFIO_IOMMU_MAP_DMA of all of {@code memory} at {@code iova}. Refused before the ioctl when
     * {@code [iova, iova+size)} starts in a window and leaves it (the kernel oopses on that).
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param memory registered (v2) process memory, all of which is mapped
     * @param direction which way the device may move data
     * @throws VfioGuardException if the range would cross its window's end (nothing is issued)
     * @throws VfioException if the kernel refused (EPERM: nothing registered or not enabled; EINVAL:
     *     unaligned or unregistered; ENXIO: no window there; EBUSY: already mapped)
     * @throws IllegalStateException if the container is closed or the memory already freed
     * @throws NullPointerException if {@code memory} or {@code direction} is null
     */
    public void map(long iova, MemorySegment memory, DmaDirection direction) throws VfioException {
        DmaTracking.requireAlive(memory);
        Objects.requireNonNull(direction, "direction");
        map(iova, memory.address(), memory.byteSize(), direction);
    }

    /**
     * VFIO_IOMMU_MAP_DMA by address: {@code vaddr} must be registered (v2) process memory. Refused
     * before the ioctl like {@link #map(long, MemorySegment, DmaDirection)}, and when the range lies in
     * registered memory whose segment was freed.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param vaddr the process address of the memory
     * @param size bytes, a multiple of the window's TCE page
     * @param direction which way the device may move data
     * @throws VfioGuardException if the range would cross its window's end (nothing is issued)
     * @throws VfioException if the kernel refused (see {@link #map(long, MemorySegment, DmaDirection)})
     * @throws IllegalStateException if the container is closed, or the range lies in freed registered memory
     * @throws NullPointerException if {@code direction} is null
     */
    public void map(long iova, long vaddr, long size, DmaDirection direction) throws VfioException {
        Objects.requireNonNull(direction, "direction");
        tracking.requireLiveRegistration(vaddr, size);
        guards.map(tracking, iova, size);
        ioctls.mapDma(iova, vaddr, size, direction);
        guards.mapped();
        tracking.mappings.mapped(iova, size, vaddr);
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA. Unmapping space that is not mapped succeeds. A range that leaves its window
     * is refused on kernels that would hang on it (without {@link io.jvfio.backend.KernelFix#TCE_RANGE_CHECK},
     * e.g. 6.12.95); kernels with that fix (7.2.8+) refuse it themselves and unmap nothing.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param size bytes, a multiple of the window's TCE page
     * @throws VfioGuardException if the range would leave its window on a kernel without the fix (nothing is issued)
     * @throws VfioException if the kernel refused (EINVAL: unaligned; ENXIO: no window there; a
     *     {@link VfioIoctlException} with errno 0 when it answered 1: unaligned, or the range leaves the window)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public void unmap(long iova, long size) throws VfioException {
        guards.unmap(tracking, iova, size);
        ioctls.unmapDma(iova, size);
        tracking.mappings.unmapped(iova, size);
    }

    /**
     * A thread-confined handle for this container's MAP_DMA and UNMAP_DMA, for a driver's hot path:
     * the same checks and exceptions as {@link #map(long, long, long, DmaDirection)} and
     * {@link #unmap(long, long)} without a lock, an atomic or a thread-local lookup per call (see
     * {@link DmaMapper}). Open one per I/O thread, use it on that thread, close it there.
     *
     * @return a new mapper, confined to the calling thread
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public DmaMapper mapper() {
        DmaMapper m = tracking.opened(new DmaMapper(this, backend, tracking, ioctls, fd));
        if (!isOpen()) {
            m.invalidate(CLOSED); // closed between the mapper's hold on the fd and its registration
        }
        return m;
    }

    /**
     * VFIO_EEH_PE_OP.
     *
     * @param op a {@code VFIO_EEH_PE_*} operation
     * @return the kernel's non-negative answer (the PE state for GET_STATE)
     * @throws VfioException if the kernel refused (ENODEV: no EEH on this platform)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public int eehPeOp(int op) throws VfioException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_eeh_pe_op.fill(a.allocate(vfio_eeh_pe_op.LAYOUT), op);
            return (int) ioctls.call(VFIO_EEH_PE_OP, "op=" + op, f -> backend.eehPeOp(f, s));
        }
    }

    /**
     * Whether the container fd is open.
     *
     * @return false after {@link #close()} or its {@link Vfio}'s close
     */
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Closes attached groups (and their devices) first, then the container fd. Idempotent. */
    @Override
    public void close() {
        tracking.forgetAll(CLOSED); // the mappers first: no new call starts while the groups go
        for (Group g : groups) {
            g.close();
        }
        if (fd.close()) {
            tracking.forgetAll(CLOSED);
            vfio.closed(this);
        }
    }
}
