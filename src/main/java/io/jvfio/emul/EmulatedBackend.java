package io.jvfio.emul;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.Arch;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.VfioBackend;
import io.jvfio.abi.VfioUapi;
import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.fs.Select;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.vfio.ContainerFile;
import io.jvfio.emul.vfio.DeviceFile;
import io.jvfio.emul.vfio.GroupFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * The emulated backend: an in-process model of a Linux 6.12 pSeries guest kernel on QEMU 7.2's
 * {@code pseries} machine, answering every seam call errno for errno in the kernel's order of
 * checks. It is chosen explicitly, by constructing it; nothing falls back to it.
 *
 * <p>Requests are decoded for the chosen {@link Arch}: the typed methods encode
 * {@code VfioIoctl.X.request(arch)} and every call goes through one dispatcher that decides by fd
 * kind, IOMMU type and request number, so a request number of another architecture is unknown to
 * it as it is to the kernel. Fds are the lowest free number from 3, in the emulator's own
 * namespace. One lock guards the whole platform (coarser than the kernel's per-container mutex);
 * a blocked eventfd read does not hold it.
 *
 * <p>This class is the seam: the typed methods look their request number up in one table and go
 * through the dispatcher. The machine itself is {@link EmulatorPlatform}, file reads and writes
 * {@link EmulatorReadWrite}, the snapshots {@link EmulatorInspection}.
 *
 * <p>See the package documentation for what is modelled and how faithfully.
 */
public final class EmulatedBackend implements VfioBackend {
    private static final long OFFSET_MASK = (1L << VfioUapi.VFIO_PCI_OFFSET_SHIFT) - 1;

    private final EmulatorPlatform platform;
    private final Arch arch;
    /** The one request table: {@code requests[ioctl.ordinal()]} is its number on {@link #arch}. */
    private final int[] requests = new int[VfioIoctl.values().length];

    /** A fresh platform (a fresh boot) for {@code profile}, speaking ppc64le request numbers. */
    public EmulatedBackend(Profile profile) {
        this(profile, Arch.PPC64LE);
    }

    /** A fresh platform for {@code profile}, decoding request numbers as {@code arch} encodes them. */
    public EmulatedBackend(Profile profile, Arch arch) {
        this.platform = new EmulatorPlatform(profile);
        this.arch = Objects.requireNonNull(arch, "arch");
        for (VfioIoctl ioctl : VfioIoctl.values()) {
            requests[ioctl.ordinal()] = ioctl.request(arch);
        }
    }

    public Profile profile() {
        return platform.profile;
    }

    @Override public Arch arch() { return arch; }

    @Override
    public String description() {
        return "emulated " + platform.profile.name() + " (" + arch.id() + ")";
    }

    @Override public boolean emulated() { return true; }

    @Override
    public List<String> groupDevices(int group) {
        return platform.groupDevices(group);
    }

    @Override
    public io.jvfio.backend.LockedMemory lockedMemory() {
        return EmulatorInspection.lockedMemory(platform);
    }

    @Override
    public io.jvfio.backend.NodeAccess nodeAccess(String path) {
        return EmulatorInspection.nodeAccess(platform.profile, path);
    }

    @Override
    public List<Integer> groups() {
        return platform.groups();
    }

    @Override public long pageSize() { return platform.profile.kernelPageSize(); }

    @Override public long hugePageSize() { return platform.profile.hugePageSize(); }

    /** The release of the kernel the profile models ({@link Profile#kernel()}). */
    @Override public String kernelRelease() { return platform.profile.kernel(); }

    // ---- files ---------------------------------------------------------------------------------------

    @Override
    public int open(String path) {
        return platform.open(path);
    }

    @Override
    public int close(int fd) {
        platform.enter();
        try {
            EmuFile f = platform.fds.remove(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            f.put();
            return 0;
        } finally {
            platform.lock.unlock();
        }
    }

    // ---- the dispatcher ------------------------------------------------------------------------------

    /**
     * What the FFM linker does with a segment argument before any system call: a segment of a closed
     * arena throws IllegalStateException, one confined to another thread WrongThreadException. The
     * emulator behaves the same at the seam, whatever the kernel would answer.
     */
    private static void checkSegment(MemorySegment seg) {
        if (seg == null || seg.address() == 0 && seg.byteSize() == 0) {
            return;
        }
        if (!seg.scope().isAlive()) {
            throw new IllegalStateException("Already closed: the argument segment's arena is closed");
        }
        if (!seg.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException("the argument segment is confined to another thread");
        }
    }

    /** Every ioctl: decode by fd kind, IOMMU type and request number. */
    private long dispatch(int fd, int request, long argValue, MemorySegment seg) {
        checkSegment(seg);
        platform.enter();
        try {
            EmuFile f = platform.fds.get(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            if (f instanceof ContainerFile cf) {
                return platform.vfio.containerIoctl(cf, VfioIoctl.of(arch, VfioIoctl.Fd.CONTAINER, request), argValue, seg);
            }
            if (f instanceof GroupFile gf) {
                return platform.vfio.groupIoctl(gf, VfioIoctl.of(arch, VfioIoctl.Fd.GROUP, request), seg);
            }
            if (f instanceof DeviceFile df) {
                return df.device().ioctl(VfioIoctl.of(arch, VfioIoctl.Fd.DEVICE, request), seg);
            }
            return -Errno.ENOTTY; // eventfd has no ioctls
        } finally {
            platform.lock.unlock();
        }
    }

    private long dispatch(int fd, int request, MemorySegment seg) {
        return dispatch(fd, request, seg == null ? 0 : seg.address(), seg);
    }

    /** A typed seam call: {@code ioctl}'s number on this architecture, from the request table. */
    private long call(int fd, VfioIoctl ioctl, long argValue, MemorySegment seg) {
        return dispatch(fd, requests[ioctl.ordinal()], argValue, seg);
    }

    private long call(int fd, VfioIoctl ioctl, MemorySegment seg) {
        return dispatch(fd, requests[ioctl.ordinal()], seg);
    }

    @Override
    public long ioctl(int fd, int request, MemorySegment arg) {
        return dispatch(fd, request, arg);
    }

    @Override
    public long getApiVersion(int containerFd) {
        return call(containerFd, VFIO_GET_API_VERSION, 0, MemorySegment.NULL);
    }

    @Override
    public long checkExtension(int containerFd, long extension) {
        return call(containerFd, VFIO_CHECK_EXTENSION, extension, MemorySegment.NULL);
    }

    @Override
    public long setIommu(int containerFd, long type) {
        return call(containerFd, VFIO_SET_IOMMU, type, MemorySegment.NULL);
    }

    @Override
    public long groupGetStatus(int groupFd, MemorySegment status) {
        return call(groupFd, VFIO_GROUP_GET_STATUS, status);
    }

    @Override
    public long groupSetContainer(int groupFd, int containerFd) {
        try (Arena a = Arena.ofConfined()) {
            return call(groupFd, VFIO_GROUP_SET_CONTAINER, a.allocateFrom(ValueLayout.JAVA_INT, containerFd));
        }
    }

    @Override
    public long groupUnsetContainer(int groupFd) {
        return call(groupFd, VFIO_GROUP_UNSET_CONTAINER, 0, MemorySegment.NULL);
    }

    @Override
    public long groupGetDeviceFd(int groupFd, String deviceName) {
        try (Arena a = Arena.ofConfined()) {
            return call(groupFd, VFIO_GROUP_GET_DEVICE_FD, a.allocateFrom(deviceName));
        }
    }

    @Override
    public long deviceGetInfo(int deviceFd, MemorySegment info) {
        return call(deviceFd, VFIO_DEVICE_GET_INFO, info);
    }

    @Override
    public long deviceGetRegionInfo(int deviceFd, MemorySegment info) {
        return call(deviceFd, VFIO_DEVICE_GET_REGION_INFO, info);
    }

    @Override
    public long deviceGetIrqInfo(int deviceFd, MemorySegment info) {
        return call(deviceFd, VFIO_DEVICE_GET_IRQ_INFO, info);
    }

    @Override
    public long deviceSetIrqs(int deviceFd, MemorySegment irqSet) {
        return call(deviceFd, VFIO_DEVICE_SET_IRQS, irqSet);
    }

    @Override
    public long deviceReset(int deviceFd) {
        return call(deviceFd, VFIO_DEVICE_RESET, 0, MemorySegment.NULL);
    }

    @Override
    public long spaprTceGetInfo(int containerFd, MemorySegment info) {
        return call(containerFd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, info);
    }

    @Override
    public long iommuEnable(int containerFd) {
        return call(containerFd, VFIO_IOMMU_ENABLE, 0, MemorySegment.NULL);
    }

    @Override
    public long iommuDisable(int containerFd) {
        return call(containerFd, VFIO_IOMMU_DISABLE, 0, MemorySegment.NULL);
    }

    @Override
    public long iommuMapDma(int containerFd, MemorySegment map) {
        return call(containerFd, VFIO_IOMMU_MAP_DMA, map);
    }

    @Override
    public long iommuUnmapDma(int containerFd, MemorySegment unmap) {
        return call(containerFd, VFIO_IOMMU_UNMAP_DMA, unmap);
    }

    @Override
    public long spaprRegisterMemory(int containerFd, MemorySegment reg) {
        return call(containerFd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, reg);
    }

    @Override
    public long spaprUnregisterMemory(int containerFd, MemorySegment reg) {
        return call(containerFd, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, reg);
    }

    @Override
    public long spaprTceCreate(int containerFd, MemorySegment create) {
        return call(containerFd, VFIO_IOMMU_SPAPR_TCE_CREATE, create);
    }

    @Override
    public long spaprTceRemove(int containerFd, MemorySegment remove) {
        return call(containerFd, VFIO_IOMMU_SPAPR_TCE_REMOVE, remove);
    }

    @Override
    public long eehPeOp(int containerFd, MemorySegment op) {
        return call(containerFd, VFIO_EEH_PE_OP, op);
    }

    // ---- read/write ----------------------------------------------------------------------------------

    @Override
    public long pread(int fd, MemorySegment dst, long offset) {
        checkSegment(dst);
        return EmulatorReadWrite.rw(platform, fd, dst, offset, false, true);
    }

    @Override
    public long pwrite(int fd, MemorySegment src, long offset) {
        checkSegment(src);
        return EmulatorReadWrite.rw(platform, fd, src, offset, true, true);
    }

    @Override
    public long read(int fd, MemorySegment dst) {
        checkSegment(dst);
        return EmulatorReadWrite.rw(platform, fd, dst, 0, false, false);
    }

    @Override
    public long write(int fd, MemorySegment src) {
        checkSegment(src);
        return EmulatorReadWrite.rw(platform, fd, src, 0, true, false);
    }

    @Override
    public int eventfd(int initval, int flags) {
        return platform.eventfd(initval, flags);
    }

    /** poll(2), fs/select.c: sleeps outside the platform lock until an eventfd wakes it ({@link Select}). */
    @Override
    public int poll(MemorySegment fds, int nfds, int timeoutMs) {
        checkSegment(fds);
        return Select.poll(fds, nfds, timeoutMs, platform::withFiles);
    }

    // ---- mmap ----------------------------------------------------------------------------------------

    @Override
    public Mmio mmapRegion(int deviceFd, long offset, long length) throws ErrnoException {
        platform.enter();
        try {
            String what = "mmap(device fd " + deviceFd + ", offset 0x" + Long.toHexString(offset) + ", length 0x"
                    + Long.toHexString(length) + ")";
            if ((offset & (platform.profile.kernelPageSize() - 1)) != 0 || offset < 0) {
                throw new ErrnoException(what, Errno.EINVAL);
            }
            EmuFile f = platform.fds.get(deviceFd);
            if (f == null) {
                throw new ErrnoException(what, Errno.EBADF);
            }
            if (length <= 0) {
                throw new ErrnoException(what, Errno.EINVAL);
            }
            if (!(f instanceof DeviceFile df)) {
                throw new ErrnoException(what, Errno.ENODEV); // no mmap operation
            }
            long r = df.device().mmapCheck(offset, length);
            if (r < 0) {
                throw new ErrnoException(what, (int) -r);
            }
            return new EmulatedMmio(this, df.device(), (int) (offset >>> VfioUapi.VFIO_PCI_OFFSET_SHIFT),
                    offset & OFFSET_MASK, length);
        } finally {
            platform.lock.unlock();
        }
    }

    /** One CPU access through a BAR mapping. */
    long mmio(VfioPciDevice dev, int bar, long barOffset, int size, boolean write, long value) {
        platform.enter();
        try {
            if (platform.closed) {
                throw new IllegalStateException("the emulated platform was closed");
            }
            if (write) {
                dev.mmioWrite(bar, barOffset, value, size);
                return 0;
            }
            return dev.mmioRead(bar, barOffset, size);
        } finally {
            platform.lock.unlock();
        }
    }

    @Override
    public MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException {
        return platform.mmapAnonymous(size, hugetlb, owner);
    }

    /** munmap that keeps the range out of later mmaps until the segment's owner closes (see AddressSpace.reserve). */
    @Override
    public void unmapKeepingRange(MemorySegment anonymous) throws ErrnoException {
        platform.unmapKeepingRange(anonymous);
    }

    // ---- inspection ----------------------------------------------------------------------------------

    /** A snapshot of the platform (without the per-page IOVA lists). */
    public EmulatorState inspect() {
        return inspect(false);
    }

    /** A snapshot of the platform; {@code withIovaPages} lists every mapped IOMMU page of every window. */
    public EmulatorState inspect(boolean withIovaPages) {
        return EmulatorInspection.inspect(platform, withIovaPages);
    }

    /**
     * The bytes of the edu device's DMA buffer (4096), for tests that check a transfer byte for byte.
     *
     * @throws IllegalArgumentException for an unknown device
     */
    public byte[] deviceBuffer(String pciAddress) {
        return EmulatorInspection.deviceBuffer(platform, pciAddress);
    }

    /** DLPAR on this machine: hot-add a PHB with devices, hot-remove a device (see {@link EmulatorHotplug}). */
    public EmulatorHotplug hotplug() {
        return new EmulatorHotplug(platform);
    }

    // ---- shutdown ------------------------------------------------------------------------------------

    /**
     * The process exits: every fd is closed (releasing groups and containers, unpinning memory) and
     * blocked eventfd readers wake with EBADF. Memory from {@link #mmapAnonymous} stays valid until
     * its owner arena closes. Later calls answer EBADF (open: ENODEV). Idempotent.
     */
    @Override
    public void close() {
        platform.shutdown();
    }
}
