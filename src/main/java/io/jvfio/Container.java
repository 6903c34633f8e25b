package io.jvfio;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.VfioUapi;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
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
 * on the 6.12 pSeries kernel such a MAP_DMA oopses the kernel.
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
    /** The windows, copy-on-write: read without locking on the map path. */
    private volatile DmaWindow[] windows = new DmaWindow[0];
    /** The memory registered through this container (v2), copy-on-write like the windows. */
    private volatile MemorySegment[] registered = new MemorySegment[0];
    /** What is mapped where, so that a freed buffer can be unmapped. */
    private final Mappings mappings = new Mappings();

    /** MAP/UNMAP argument structs, one per thread: the hot path allocates nothing. */
    private static final ThreadLocal<MemorySegment> MAP_ARGS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(vfio_iommu_type1_dma_map.LAYOUT));
    private static final ThreadLocal<MemorySegment> UNMAP_ARGS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(vfio_iommu_type1_dma_unmap.LAYOUT));

    Container(Vfio vfio, FdHandle fd) {
        this.vfio = vfio;
        this.backend = vfio.backend();
        this.fd = fd;
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

    void attached(Group g) {
        groups.add(g);
    }

    void detached(Group g) {
        groups.remove(g);
        if (groups.isEmpty()) {
            // The last group's detach releases the IOMMU driver in the kernel: back to no type.
            // The kernel releases the windows, the mappings and the registrations with it.
            type = null;
            windows = new DmaWindow[0];
            forgetAll();
        }
    }

    private synchronized void forgetAll() {
        registered = new MemorySegment[0];
        mappings.clearAll();
    }

    private long check(VfioIoctl ioctl, String detail, long r) throws VfioException {
        if (r < 0) {
            throw Errors.ioctl(backend, ioctl, detail, (int) -r);
        }
        return r;
    }

    /** As {@link #check}, for a call that charges {@code neededBytes} of locked memory. */
    private long check(VfioIoctl ioctl, String detail, long r, long neededBytes) throws VfioException {
        if (r < 0) {
            throw Errors.charging(backend, ioctl, detail, (int) -r, neededBytes);
        }
        return r;
    }

    private long log(VfioIoctl ioctl, int f, long r) {
        IoctlLog.log(ioctl, ioctl.request(backend.arch()), f, r);
        return r;
    }

    /**
     * VFIO_GET_API_VERSION.
     *
     * @return 0 ({@code VFIO_API_VERSION}) on every kernel that has VFIO
     * @throws VfioException if the kernel refused the ioctl
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public int apiVersion() throws VfioException {
        int f = fd.acquire();
        try {
            return (int) check(VFIO_GET_API_VERSION, "", log(VFIO_GET_API_VERSION, f, backend.getApiVersion(f)));
        } finally {
            fd.release();
        }
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
        int f = fd.acquire();
        try {
            return check(VFIO_CHECK_EXTENSION, Integer.toString(extension),
                    log(VFIO_CHECK_EXTENSION, f, backend.checkExtension(f, extension)));
        } finally {
            fd.release();
        }
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
        int f = fd.acquire();
        try {
            check(VFIO_SET_IOMMU, t.name(), log(VFIO_SET_IOMMU, f, backend.setIommu(f, t.value())));
            type = t;
        } finally {
            fd.release();
        }
        if (t.isSpapr()) {
            TceInfo info = tceInfo();
            windows = info.dma32WindowSize() == 0 ? new DmaWindow[0]
                    : new DmaWindow[] {new DmaWindow(info.dma32WindowStart(), info.dma32WindowSize(), 12, 1, true)};
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
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_info.fill(a.allocate(vfio_iommu_spapr_tce_info.LAYOUT));
            check(VFIO_IOMMU_SPAPR_TCE_GET_INFO, "", log(VFIO_IOMMU_SPAPR_TCE_GET_INFO, f, backend.spaprTceGetInfo(f, s)));
            int flags = vfio_iommu_spapr_tce_info.flags.get(s);
            Optional<DdwInfo> ddw = (flags & VfioUapi.VFIO_IOMMU_SPAPR_INFO_DDW) == 0 ? Optional.empty()
                    : Optional.of(new DdwInfo(vfio_iommu_spapr_tce_info.ddw_pgsizes.get(s),
                            vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(s),
                            vfio_iommu_spapr_tce_info.ddw_levels.get(s)));
            return new TceInfo(flags, vfio_iommu_spapr_tce_info.dma32_window_start.getUnsigned(s),
                    vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(s), ddw);
        } finally {
            fd.release();
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

    /** What v1 ENABLE charges: the default window, {@code tce32_size >> PAGE_SHIFT} pages. */
    private synchronized long defaultWindowCharge() {
        for (DmaWindow w : windows) {
            if (w.isDefault()) {
                return w.size() & -backend.pageSize();
            }
        }
        return 0;
    }

    private void simple(VfioIoctl ioctl) throws VfioException {
        int f = fd.acquire();
        try {
            long r = ioctl == VFIO_IOMMU_ENABLE ? backend.iommuEnable(f) : backend.iommuDisable(f);
            check(ioctl, "", log(ioctl, f, r), defaultWindowCharge());
        } finally {
            fd.release();
        }
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
        requireAlive(memory);
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

    /** A closed buffer keeps its address; the kernel would pin whatever is mapped there now. */
    private static void requireAlive(MemorySegment memory) {
        Objects.requireNonNull(memory, "memory");
        if (!memory.scope().isAlive()) {
            throw new IllegalStateException("the memory segment's arena is closed (buffer already freed)");
        }
    }

    private void registration(VfioIoctl ioctl, MemorySegment memory) throws VfioException {
        requireAlive(memory);
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_register_memory.fill(
                    a.allocate(vfio_iommu_spapr_register_memory.LAYOUT), memory.address(), memory.byteSize());
            long r = ioctl == VFIO_IOMMU_SPAPR_REGISTER_MEMORY
                    ? backend.spaprRegisterMemory(f, s) : backend.spaprUnregisterMemory(f, s);
            check(ioctl, "size=0x" + Long.toHexString(memory.byteSize()), log(ioctl, f, r),
                    LockedMemoryAdvice.pagesCharge(memory.byteSize(), backend.pageSize()));
            tracked(memory, ioctl == VFIO_IOMMU_SPAPR_REGISTER_MEMORY);
        } finally {
            fd.release();
        }
    }

    /** Records a registration, or drops the one with exactly this address and size (as the kernel matches). */
    private synchronized void tracked(MemorySegment memory, boolean add) {
        List<MemorySegment> l = new ArrayList<>(List.of(registered));
        if (add) {
            l.add(memory);
        } else {
            l.removeIf(m -> m.address() == memory.address() && m.byteSize() == memory.byteSize());
        }
        registered = l.toArray(new MemorySegment[0]);
    }

    /**
     * Refuses a MAP by address into registered memory whose segment was freed: the kernel would map
     * whatever the process has at that address now.
     */
    private void requireLiveRegistration(long vaddr, long size) {
        for (MemorySegment m : registered) {
            if (Long.compareUnsigned(vaddr, m.address() + m.byteSize()) < 0
                    && Long.compareUnsigned(m.address(), vaddr + size) < 0 && !m.scope().isAlive()) {
                throw new IllegalStateException(String.format("the registered memory [0x%x, +0x%x) was freed (its "
                        + "arena is closed): map live memory, and unregister memory before freeing it",
                        m.address(), m.byteSize()));
            }
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
            long[] ranges = mappings.rangesInto(address, size);
            for (int i = 0; i < ranges.length; i += 2) {
                unmap(ranges[i], ranges[i + 1]);
            }
            for (MemorySegment m : registered) {
                if (m.address() >= address && m.address() + m.byteSize() <= address + size) {
                    unregisterMemory(m);
                }
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
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_create.fill(a.allocate(vfio_iommu_spapr_tce_create.LAYOUT),
                    pageShift, windowSize, levels);
            check(VFIO_IOMMU_SPAPR_TCE_CREATE, String.format("page_shift=%d window_size=0x%x levels=%d",
                    pageShift, windowSize, levels), log(VFIO_IOMMU_SPAPR_TCE_CREATE, f, backend.spaprTceCreate(f, s)),
                    LockedMemoryAdvice.tableCharge(pageShift, windowSize, levels, backend.pageSize()));
            DmaWindow w = new DmaWindow(vfio_iommu_spapr_tce_create.start_addr.get(s), windowSize, pageShift, levels, false);
            addWindow(w);
            return w;
        } finally {
            fd.release();
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
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_iommu_spapr_tce_remove.fill(a.allocate(vfio_iommu_spapr_tce_remove.LAYOUT), start);
            check(VFIO_IOMMU_SPAPR_TCE_REMOVE, "start_addr=0x" + Long.toHexString(start),
                    log(VFIO_IOMMU_SPAPR_TCE_REMOVE, f, backend.spaprTceRemove(f, s)));
            removeTracked(start);
        } finally {
            fd.release();
        }
    }

    private synchronized void addWindow(DmaWindow w) {
        List<DmaWindow> l = new ArrayList<>(List.of(windows));
        l.add(w);
        windows = l.toArray(new DmaWindow[0]);
    }

    private synchronized void removeTracked(long addr) {
        List<DmaWindow> l = new ArrayList<>(List.of(windows));
        for (DmaWindow w : l) {
            if (w.contains(addr)) {
                mappings.unmapped(w.start(), w.size()); // REMOVE clears every TCE of the window
            }
        }
        if (!l.removeIf(w -> w.contains(addr)) && addr == 0) {
            // REMOVE(0) succeeded without a window at 0: the kernel dropped the still-pending default
            // window, wherever it would have started.
            l.removeIf(DmaWindow::isDefault);
        }
        windows = l.toArray(new DmaWindow[0]);
    }

    /**
     * The windows this container knows of: the default one (until removed) and the created ones.
     *
     * @return an immutable snapshot
     */
    public List<DmaWindow> windows() {
        return List.of(windows);
    }

    /**
     * The window containing a bus address. Allocation-free.
     *
     * @param iova the bus address
     * @return the window, or null when none contains it
     */
    public DmaWindow windowAt(long iova) {
        for (DmaWindow w : windows) {
            if (w.contains(iova)) {
                return w;
            }
        }
        return null;
    }

    /** Refuses {@code [iova, iova+size)} when it starts in a window and leaves it: {@code why} the kernel must not see it. */
    private void requireWithinWindow(VfioIoctl ioctl, long iova, long size, String why) throws VfioGuardException {
        DmaWindow w = windowAt(iova);
        if (w != null && !w.containsRange(iova, size)) {
            throw new VfioGuardException(String.format("%s iova=0x%x size=0x%x", ioctl.name(), iova, size),
                    ioctl.request(backend.arch()), "the range leaves its " + w + "; " + why);
        }
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
        requireAlive(memory);
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
        requireLiveRegistration(vaddr, size);
        requireWithinWindow(VFIO_IOMMU_MAP_DMA, iova, size,
                "the 6.12 pSeries kernel oopses on such a MAP_DMA: split the mapping at the window end");
        MemorySegment s = vfio_iommu_type1_dma_map.fill(MAP_ARGS.get(), direction.flags(), vaddr, iova, size);
        int f = fd.acquire();
        long r;
        try {
            r = log(VFIO_IOMMU_MAP_DMA, f, backend.iommuMapDma(f, s));
        } finally {
            fd.release();
        }
        if (r != 0) {
            mapFailed(VFIO_IOMMU_MAP_DMA, iova, size, r);
        }
        mappings.mapped(iova, size, vaddr);
    }

    /**
     * VFIO_IOMMU_UNMAP_DMA. Unmapping space that is not mapped succeeds.
     *
     * @param iova the bus address, a multiple of the window's TCE page
     * @param size bytes, a multiple of the window's TCE page
     * @throws VfioGuardException if the range would leave its window (nothing is issued)
     * @throws VfioException if the kernel refused (EINVAL: unaligned; ENXIO: no window there)
     * @throws IllegalStateException if the container (or its {@link Vfio}) is closed
     */
    public void unmap(long iova, long size) throws VfioException {
        requireWithinWindow(VFIO_IOMMU_UNMAP_DMA, iova, size, "the 6.12 pSeries kernel checks only its first page"
                + " and then makes a failing hypervisor call for every page past the window (far past it, the call never"
                + " returns): unmap within the window");
        MemorySegment s = vfio_iommu_type1_dma_unmap.fill(UNMAP_ARGS.get(), iova, size);
        int f = fd.acquire();
        long r;
        try {
            r = log(VFIO_IOMMU_UNMAP_DMA, f, backend.iommuUnmapDma(f, s));
        } finally {
            fd.release();
        }
        if (r != 0) {
            mapFailed(VFIO_IOMMU_UNMAP_DMA, iova, size, r);
        }
        mappings.unmapped(iova, size);
    }

    private void mapFailed(VfioIoctl ioctl, long iova, long size, long r) throws VfioException {
        String detail = String.format("iova=0x%x size=0x%x", iova, size);
        if (r > 0) {
            // The kernel's iommu_tce_put_param_check returns a bool through an int: +1 means a misaligned IOVA.
            throw new VfioIoctlException(ioctl.name() + " " + detail, ioctl.request(backend.arch()), 0,
                    "the kernel returned " + r + " (not an errno): the IOVA is not aligned to the window's TCE page");
        }
        check(ioctl, detail, r);
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
        int f = fd.acquire();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = vfio_eeh_pe_op.fill(a.allocate(vfio_eeh_pe_op.LAYOUT), op);
            return (int) check(VFIO_EEH_PE_OP, "op=" + op, log(VFIO_EEH_PE_OP, f, backend.eehPeOp(f, s)));
        } finally {
            fd.release();
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
        for (Group g : groups) {
            g.close();
        }
        if (fd.close()) {
            forgetAll();
            vfio.closed(this);
        }
    }
}
