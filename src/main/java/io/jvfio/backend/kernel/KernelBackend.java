package io.jvfio.backend.kernel;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.Arch;
import io.jvfio.abi.__user_cap_data_struct;
import io.jvfio.abi.pollfd;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.KernelRelease;
import io.jvfio.backend.LockedMemory;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.NodeAccess;
import io.jvfio.backend.VfioBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The seam over the running kernel: every method is one system call through {@link LibC}. Request
 * numbers are those of the host architecture, computed once.
 */
public final class KernelBackend implements VfioBackend {
    private static final Arch ARCH = Arch.host();
    private static final long REQ_GET_API_VERSION = VFIO_GET_API_VERSION.request(ARCH);
    private static final long REQ_CHECK_EXTENSION = VFIO_CHECK_EXTENSION.request(ARCH);
    private static final long REQ_SET_IOMMU = VFIO_SET_IOMMU.request(ARCH);
    private static final long REQ_GROUP_GET_STATUS = VFIO_GROUP_GET_STATUS.request(ARCH);
    private static final long REQ_GROUP_SET_CONTAINER = VFIO_GROUP_SET_CONTAINER.request(ARCH);
    private static final long REQ_GROUP_UNSET_CONTAINER = VFIO_GROUP_UNSET_CONTAINER.request(ARCH);
    private static final long REQ_GROUP_GET_DEVICE_FD = VFIO_GROUP_GET_DEVICE_FD.request(ARCH);
    private static final long REQ_DEVICE_GET_INFO = VFIO_DEVICE_GET_INFO.request(ARCH);
    private static final long REQ_DEVICE_GET_REGION_INFO = VFIO_DEVICE_GET_REGION_INFO.request(ARCH);
    private static final long REQ_DEVICE_GET_IRQ_INFO = VFIO_DEVICE_GET_IRQ_INFO.request(ARCH);
    private static final long REQ_DEVICE_SET_IRQS = VFIO_DEVICE_SET_IRQS.request(ARCH);
    private static final long REQ_DEVICE_RESET = VFIO_DEVICE_RESET.request(ARCH);
    private static final long REQ_SPAPR_TCE_GET_INFO = VFIO_IOMMU_SPAPR_TCE_GET_INFO.request(ARCH);
    private static final long REQ_MAP_DMA = VFIO_IOMMU_MAP_DMA.request(ARCH);
    private static final long REQ_UNMAP_DMA = VFIO_IOMMU_UNMAP_DMA.request(ARCH);
    private static final long REQ_ENABLE = VFIO_IOMMU_ENABLE.request(ARCH);
    private static final long REQ_DISABLE = VFIO_IOMMU_DISABLE.request(ARCH);
    private static final long REQ_REGISTER_MEMORY = VFIO_IOMMU_SPAPR_REGISTER_MEMORY.request(ARCH);
    private static final long REQ_UNREGISTER_MEMORY = VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY.request(ARCH);
    private static final long REQ_TCE_CREATE = VFIO_IOMMU_SPAPR_TCE_CREATE.request(ARCH);
    private static final long REQ_TCE_REMOVE = VFIO_IOMMU_SPAPR_TCE_REMOVE.request(ARCH);
    private static final long REQ_EEH_PE_OP = VFIO_EEH_PE_OP.request(ARCH);

    private final long hugePageSize = readHugePageSize();

    @Override
    public Arch arch() {
        return ARCH;
    }

    @Override
    public String description() {
        return "kernel (" + ARCH.id() + ", /dev/vfio)";
    }

    @Override
    public boolean emulated() {
        return false;
    }

    @Override
    public long pageSize() {
        return LibC.pageSize();
    }

    @Override
    public String kernelRelease() {
        return KernelRelease.running();
    }

    @Override
    public long hugePageSize() {
        return hugePageSize;
    }

    @Override
    public List<String> groupDevices(int group) {
        Path dir = Path.of("/sys/kernel/iommu_groups", Integer.toString(group), "devices");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public List<Integer> groups() {
        try (Stream<Path> s = Files.list(Path.of("/dev/vfio"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]+"))
                    .map(Integer::valueOf).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public LockedMemory lockedMemory() {
        return new LockedMemory(ProcessCredentials.memlockLimits()[0], ProcessCredentials.lockedBytes(),
                ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_IPC_LOCK));
    }

    @Override
    public NodeAccess nodeAccess(String path) {
        String node;
        try {
            Path p = Path.of(path);
            node = Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid") + " 0"
                    + Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode") & 0777);
        } catch (IOException | RuntimeException e) {
            node = null; // the advice goes without it
        }
        long uid;
        try {
            uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            uid = -1;
        }
        return new NodeAccess(System.getProperty("user.name", "uid " + uid), (int) uid, node);
    }

    private static long readHugePageSize() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("Hugepagesize:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc: fall through to the radix default
        }
        return 2L << 20;
    }

    @Override
    public int open(String path) {
        try (Arena a = Arena.ofConfined()) {
            return LibC.open(a.allocateFrom(path), LinuxUapi.O_RDWR | LinuxUapi.O_CLOEXEC);
        }
    }

    @Override
    public int close(int fd) {
        return LibC.close(fd);
    }

    @Override
    public long getApiVersion(int fd) {
        return LibC.ioctl(fd, REQ_GET_API_VERSION, 0L);
    }

    @Override
    public long checkExtension(int fd, long extension) {
        return LibC.ioctl(fd, REQ_CHECK_EXTENSION, extension);
    }

    @Override
    public long setIommu(int fd, long type) {
        return LibC.ioctl(fd, REQ_SET_IOMMU, type);
    }

    @Override
    public long groupGetStatus(int fd, MemorySegment status) {
        return LibC.ioctl(fd, REQ_GROUP_GET_STATUS, status);
    }

    @Override
    public long groupSetContainer(int groupFd, int containerFd) {
        try (Arena a = Arena.ofConfined()) {
            return LibC.ioctl(groupFd, REQ_GROUP_SET_CONTAINER, a.allocateFrom(ValueLayout.JAVA_INT, containerFd));
        }
    }

    @Override
    public long groupUnsetContainer(int fd) {
        return LibC.ioctl(fd, REQ_GROUP_UNSET_CONTAINER, 0L);
    }

    @Override
    public long groupGetDeviceFd(int fd, String deviceName) {
        try (Arena a = Arena.ofConfined()) {
            return LibC.ioctl(fd, REQ_GROUP_GET_DEVICE_FD, a.allocateFrom(deviceName));
        }
    }

    @Override
    public long deviceGetInfo(int fd, MemorySegment info) {
        return LibC.ioctl(fd, REQ_DEVICE_GET_INFO, info);
    }

    @Override
    public long deviceGetRegionInfo(int fd, MemorySegment info) {
        return LibC.ioctl(fd, REQ_DEVICE_GET_REGION_INFO, info);
    }

    @Override
    public long deviceGetIrqInfo(int fd, MemorySegment info) {
        return LibC.ioctl(fd, REQ_DEVICE_GET_IRQ_INFO, info);
    }

    @Override
    public long deviceSetIrqs(int fd, MemorySegment irqSet) {
        return LibC.ioctl(fd, REQ_DEVICE_SET_IRQS, irqSet);
    }

    @Override
    public long deviceReset(int fd) {
        return LibC.ioctl(fd, REQ_DEVICE_RESET, 0L);
    }

    @Override
    public long spaprTceGetInfo(int fd, MemorySegment info) {
        return LibC.ioctl(fd, REQ_SPAPR_TCE_GET_INFO, info);
    }

    @Override
    public long iommuEnable(int fd) {
        return LibC.ioctl(fd, REQ_ENABLE, 0L);
    }

    @Override
    public long iommuDisable(int fd) {
        return LibC.ioctl(fd, REQ_DISABLE, 0L);
    }

    @Override
    public long iommuMapDma(int fd, MemorySegment map) {
        return LibC.ioctl(fd, REQ_MAP_DMA, map);
    }

    @Override
    public long iommuUnmapDma(int fd, MemorySegment unmap) {
        return LibC.ioctl(fd, REQ_UNMAP_DMA, unmap);
    }

    @Override
    public long iommuMapDma(int fd, MemorySegment map, MemorySegment errnoBuffer) {
        return LibC.ioctl(errnoBuffer, fd, REQ_MAP_DMA, map);
    }

    @Override
    public long iommuUnmapDma(int fd, MemorySegment unmap, MemorySegment errnoBuffer) {
        return LibC.ioctl(errnoBuffer, fd, REQ_UNMAP_DMA, unmap);
    }

    @Override
    public long spaprRegisterMemory(int fd, MemorySegment reg) {
        return LibC.ioctl(fd, REQ_REGISTER_MEMORY, reg);
    }

    @Override
    public long spaprUnregisterMemory(int fd, MemorySegment reg) {
        return LibC.ioctl(fd, REQ_UNREGISTER_MEMORY, reg);
    }

    @Override
    public long spaprTceCreate(int fd, MemorySegment create) {
        return LibC.ioctl(fd, REQ_TCE_CREATE, create);
    }

    @Override
    public long spaprTceRemove(int fd, MemorySegment remove) {
        return LibC.ioctl(fd, REQ_TCE_REMOVE, remove);
    }

    @Override
    public long eehPeOp(int fd, MemorySegment op) {
        return LibC.ioctl(fd, REQ_EEH_PE_OP, op);
    }

    @Override
    public long ioctl(int fd, int request, MemorySegment arg) {
        return LibC.ioctl(fd, Integer.toUnsignedLong(request), arg);
    }

    @Override
    public long ioctl(int fd, int request, MemorySegment arg, MemorySegment errnoBuffer) {
        return LibC.ioctl(errnoBuffer, fd, Integer.toUnsignedLong(request), arg);
    }

    @Override
    public long pread(int fd, MemorySegment dst, long offset) {
        return LibC.pread(fd, dst, dst.byteSize(), offset);
    }

    @Override
    public long pwrite(int fd, MemorySegment src, long offset) {
        return LibC.pwrite(fd, src, src.byteSize(), offset);
    }

    @Override
    public long read(int fd, MemorySegment dst) {
        return LibC.read(fd, dst, dst.byteSize());
    }

    @Override
    public long write(int fd, MemorySegment src) {
        return LibC.write(fd, src, src.byteSize());
    }

    @Override
    public int eventfd(int initval, int flags) {
        return LibC.eventfd(initval, LinuxUapi.EFD_CLOEXEC | flags);
    }

    /**
     * A segment shorter than {@code nfds} entries goes down as NULL: the kernel then answers EINVAL
     * (nfds above RLIMIT_NOFILE) or EFAULT as it would, instead of reading and writing past the segment.
     */
    @Override
    public int poll(MemorySegment fds, int nfds, int timeoutMs) {
        boolean fits = nfds >= 0 && (long) nfds * pollfd.SIZE <= fds.byteSize();
        return LibC.poll(fits ? fds : MemorySegment.NULL, nfds, timeoutMs);
    }

    @Override
    public Mmio mmapRegion(int deviceFd, long offset, long length) throws ErrnoException {
        long addr = LibC.mmap(0, length, LinuxUapi.PROT_READ | LinuxUapi.PROT_WRITE, LinuxUapi.MAP_SHARED,
                deviceFd, offset);
        if (addr < 0 && addr > -4096) {
            throw new ErrnoException("mmap(device fd " + deviceFd + ", offset 0x" + Long.toHexString(offset)
                    + ", length 0x" + Long.toHexString(length) + ")", (int) -addr);
        }
        return new MappedMmio(addr, length);
    }

    @Override
    public MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException {
        int flags = LinuxUapi.MAP_PRIVATE | LinuxUapi.MAP_ANONYMOUS | (hugetlb ? LinuxUapi.MAP_HUGETLB : 0);
        long addr = LibC.mmap(0, size, LinuxUapi.PROT_READ | LinuxUapi.PROT_WRITE, flags, -1, 0);
        if (addr < 0 && addr > -4096) {
            throw new ErrnoException("mmap(anonymous" + (hugetlb ? ", MAP_HUGETLB" : "") + ", 0x"
                    + Long.toHexString(size) + " bytes)", (int) -addr);
        }
        return MemorySegment.ofAddress(addr).reinterpret(size, owner, s -> unmap(addr, size));
    }

    @Override
    public void unmapKeepingRange(MemorySegment anonymous) throws ErrnoException {
        long addr = anonymous.address();
        long len = (anonymous.byteSize() + pageSize() - 1) & -pageSize();
        // MAP_FIXED replaces the mapping atomically, so no other thread's mmap can take the range in between.
        long r = LibC.mmap(addr, len, LinuxUapi.PROT_NONE,
                LinuxUapi.MAP_PRIVATE | LinuxUapi.MAP_ANONYMOUS | LinuxUapi.MAP_FIXED, -1, 0);
        if (r < 0 && r > -4096) {
            throw new ErrnoException("mmap(0x" + Long.toHexString(addr) + ", MAP_FIXED, PROT_NONE, 0x"
                    + Long.toHexString(len) + " bytes)", (int) -r);
        }
    }

    static void unmap(long addr, long size) {
        int r = LibC.munmap(addr, size);
        if (r < 0) {
            // Cleanup actions cannot throw; a failed munmap of our own mapping means memory corruption.
            System.err.println("jvfio: munmap(0x" + Long.toHexString(addr) + ", " + size + ") failed: "
                    + Errno.format(-r));
        }
    }

    @Override
    public void close() {
        // Stateless: every fd and mapping belongs to its owner object.
    }
}
