package io.jvfio.backend;

import io.jvfio.abi.Arch;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.List;

/**
 * The seam: one method per VFIO ioctl, plus the few system calls around them. Two implementations:
 * the kernel backend (real syscalls through FFM) and the emulator (an in-process model of a 6.12
 * pSeries guest kernel). Everything above, the public API, the scenario runner and the CLI, talks
 * only to this interface.
 *
 * <p>Conventions, those of the kernel itself, so the seam costs nothing on the hot path:
 * <ul>
 *   <li>ioctl methods return the ioctl's non-negative result, or {@code -errno}. Nothing is thrown
 *       for a failed call and nothing is allocated;</li>
 *   <li>the one exception: where the platform itself dies instead of answering (a kernel oops, a
 *       hypervisor abort), any call may throw a {@link PlatformFault}. Only a model can: on the real
 *       kernel the calling process dies with it;</li>
 *   <li>struct arguments are caller-owned segments laid out as in {@code io.jvfio.abi}, passed
 *       unchecked: argsz and flags are whatever the caller wrote, so negative tests go through;</li>
 *   <li>fds are plain ints; -1 or a closed fd is passed through and answered with EBADF.</li>
 * </ul>
 * Implementations are thread-safe.
 */
public interface VfioBackend extends AutoCloseable {

    /** The architecture whose request numbers this backend speaks. */
    Arch arch();

    /** A one-line description, e.g. {@code kernel (/dev/vfio)} or {@code emulated qemu-pseries (ppc64le)}. */
    String description();

    /** True for the in-process emulator. */
    boolean emulated();

    /** The kernel's base page size in bytes (4096 on the default guest). */
    long pageSize();

    /** The default huge page size in bytes (2 MiB under radix). */
    long hugePageSize();

    /**
     * The kernel release these calls reach ({@code uname -r} on the kernel backend, e.g.
     * {@code 7.2.12+deb14-powerpc64le}; the modelled release on the emulator). What {@link KernelFix}
     * reads to tell which known kernel bugs apply.
     */
    String kernelRelease();

    /**
     * The PCI addresses of the devices in IOMMU group {@code group}, as
     * {@code /sys/kernel/iommu_groups/N/devices} lists them: sorted, empty when the group is unknown.
     */
    List<String> groupDevices(int group);

    /**
     * The IOMMU groups there are, as {@code /dev/vfio/N} lists them (the emulator: its profile's),
     * ascending; empty when there is no VFIO.
     */
    List<Integer> groups();

    /**
     * The process's locked memory: RLIMIT_MEMLOCK, {@code locked_vm} so far and CAP_IPC_LOCK (the
     * calling thread's), as the SPAPR driver's charges meet them. For the advice of an ENOMEM.
     */
    LockedMemory lockedMemory();

    /** This process's user and the owner and mode of the node at {@code path}, for the advice of an EACCES. */
    NodeAccess nodeAccess(String path);

    // ---- files ---------------------------------------------------------------------------------

    /** open(path, O_RDWR | O_CLOEXEC): a new fd, or -errno. */
    int open(String path);

    /** close(fd): 0 or -errno. */
    int close(int fd);

    // ---- container (/dev/vfio/vfio) --------------------------------------------------------------

    long getApiVersion(int containerFd);

    long checkExtension(int containerFd, long extension);

    long setIommu(int containerFd, long type);

    // ---- group (/dev/vfio/N) ---------------------------------------------------------------------

    /** {@code status}: a {@code vfio_group_status}. */
    long groupGetStatus(int groupFd, MemorySegment status);

    /** The kernel takes a pointer to the container fd; the backend builds it. */
    long groupSetContainer(int groupFd, int containerFd);

    long groupUnsetContainer(int groupFd);

    /** A new device fd, or -errno. */
    long groupGetDeviceFd(int groupFd, String deviceName);

    // ---- device ------------------------------------------------------------------------------------

    long deviceGetInfo(int deviceFd, MemorySegment info);

    long deviceGetRegionInfo(int deviceFd, MemorySegment info);

    long deviceGetIrqInfo(int deviceFd, MemorySegment info);

    /** {@code irqSet}: a {@code vfio_irq_set} followed by its data. */
    long deviceSetIrqs(int deviceFd, MemorySegment irqSet);

    long deviceReset(int deviceFd);

    // ---- IOMMU (on the container) ------------------------------------------------------------------

    long spaprTceGetInfo(int containerFd, MemorySegment info);

    long iommuEnable(int containerFd);

    long iommuDisable(int containerFd);

    long iommuMapDma(int containerFd, MemorySegment map);

    long iommuUnmapDma(int containerFd, MemorySegment unmap);

    /**
     * The layout of the errno buffer the {@code errnoBuffer} overloads take: the FFM linker's capture
     * state ({@code Linker.Option.captureStateLayout()}). A caller that keeps one per thread, next to
     * its argument structs, saves the kernel backend a per-thread buffer lookup on every call.
     *
     * @return the layout; allocate a buffer of it in memory only one thread uses
     */
    static StructLayout errnoBufferLayout() {
        return Linker.Option.captureStateLayout();
    }

    /**
     * {@link #iommuMapDma(int, MemorySegment)} with a caller-held errno buffer of
     * {@link #errnoBufferLayout()}, confined to the calling thread (two threads sharing one would
     * read each other's errno). The kernel backend captures errno into it instead of its per-thread
     * buffer; the default ignores it (the emulator has no errno to capture).
     *
     * @param containerFd the container
     * @param map a filled {@code vfio_iommu_type1_dma_map}
     * @param errnoBuffer the caller's errno buffer
     * @return 0, the kernel's non-negative answer, or {@code -errno}
     */
    default long iommuMapDma(int containerFd, MemorySegment map, MemorySegment errnoBuffer) {
        return iommuMapDma(containerFd, map);
    }

    /**
     * {@link #iommuUnmapDma(int, MemorySegment)} with a caller-held errno buffer, as
     * {@link #iommuMapDma(int, MemorySegment, MemorySegment)}.
     *
     * @param containerFd the container
     * @param unmap a filled {@code vfio_iommu_type1_dma_unmap}
     * @param errnoBuffer the caller's errno buffer
     * @return 0, the kernel's non-negative answer, or {@code -errno}
     */
    default long iommuUnmapDma(int containerFd, MemorySegment unmap, MemorySegment errnoBuffer) {
        return iommuUnmapDma(containerFd, unmap);
    }

    long spaprRegisterMemory(int containerFd, MemorySegment reg);

    long spaprUnregisterMemory(int containerFd, MemorySegment reg);

    long spaprTceCreate(int containerFd, MemorySegment create);

    long spaprTceRemove(int containerFd, MemorySegment remove);

    long eehPeOp(int containerFd, MemorySegment op);

    /**
     * Any request number with a pointer argument, for negative tests (unknown requests, the other
     * architecture's numbers). The typed methods above are what drivers use.
     */
    long ioctl(int fd, int request, MemorySegment arg);

    /**
     * {@link #ioctl(int, int, MemorySegment)} with a caller-held errno buffer, as
     * {@link #iommuMapDma(int, MemorySegment, MemorySegment)}.
     *
     * @param fd any fd
     * @param request the request number
     * @param arg the pointer argument
     * @param errnoBuffer the caller's errno buffer of {@link #errnoBufferLayout()}
     * @return the ioctl's non-negative result, or {@code -errno}
     */
    default long ioctl(int fd, int request, MemorySegment arg, MemorySegment errnoBuffer) {
        return ioctl(fd, request, arg);
    }

    // ---- around the ioctls -------------------------------------------------------------------------

    /** pread(fd, dst, offset): bytes read, or -errno. Device regions live at {@code index << 40}. */
    long pread(int fd, MemorySegment dst, long offset);

    /** pwrite(fd, src, offset): bytes written, or -errno. */
    long pwrite(int fd, MemorySegment src, long offset);

    /** read(fd, dst), for eventfds: bytes read, or -errno. */
    long read(int fd, MemorySegment dst);

    /** write(fd, src), for eventfds: bytes written, or -errno. */
    long write(int fd, MemorySegment src);

    /** eventfd(initval, EFD_CLOEXEC | flags): a new fd, or -errno. */
    int eventfd(int initval, int flags);

    /**
     * poll(fds, nfds, timeoutMs), to sleep until an eventfd is signalled: {@code fds} holds
     * {@code nfds} {@code struct pollfd}s ({@code io.jvfio.abi.pollfd}) whose {@code revents} the call
     * fills (POLLNVAL for an fd that is not open, 0 for a negative fd). {@code timeoutMs} negative waits
     * without limit, 0 returns at once.
     *
     * @return how many entries have a non-zero {@code revents}, 0 on timeout, or -errno: EINVAL when
     *     {@code nfds} exceeds RLIMIT_NOFILE, EFAULT when {@code fds} is shorter than {@code nfds}
     *     entries, EINTR when a signal (the emulator: the thread's interrupt) came first
     */
    int poll(MemorySegment fds, int nfds, int timeoutMs);

    /**
     * Maps {@code length} bytes of a device region at {@code offset} (shared, read/write).
     *
     * @throws ErrnoException with mmap's errno
     */
    Mmio mmapRegion(int deviceFd, long offset, long length) throws ErrnoException;

    /**
     * Anonymous process memory for DMA, aligned to its page size: {@link #pageSize()}, or
     * {@link #hugePageSize()} with {@code hugetlb} (MAP_HUGETLB). The segment belongs to {@code owner}:
     * closing it unmaps the memory.
     *
     * @throws ErrnoException with mmap's errno (ENOMEM when no huge pages are free)
     */
    MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException;

    /**
     * Unmaps a segment from {@link #mmapAnonymous} but keeps its address range out of later mmaps: the
     * range becomes an inaccessible reservation (PROT_NONE) until the segment's owner closes. For callers
     * whose results must not depend on where the allocator puts the next buffer (the scenario runner:
     * a leaked registration keyed by a freed range would otherwise catch whatever lands there next). The
     * segment must not be accessed afterwards.
     *
     * @throws ErrnoException with mmap's errno; the memory is then still mapped
     */
    void unmapKeepingRange(MemorySegment anonymous) throws ErrnoException;

    /** Releases what the backend holds (the emulator's platform). Fds opened through it stay the caller's. */
    @Override
    void close();
}
