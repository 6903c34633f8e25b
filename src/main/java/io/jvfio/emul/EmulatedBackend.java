package io.jvfio.emul;

import static io.jvfio.abi.VfioIoctl.*;

import io.jvfio.abi.Arch;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.device.DeviceHost;
import io.jvfio.emul.device.PhbDma;
import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.fs.FdTable;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.Vma;
import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprPhb;
import io.jvfio.emul.papr.SpaprTceTable;
import io.jvfio.emul.pseries.IommuTable;
import io.jvfio.emul.pseries.PseriesPe;
import io.jvfio.emul.spapr.TceContainer;
import io.jvfio.emul.vfio.ContainerFile;
import io.jvfio.emul.vfio.DeviceFile;
import io.jvfio.emul.vfio.GroupFile;
import io.jvfio.emul.vfio.VfioContainer;
import io.jvfio.emul.vfio.VfioCore;
import io.jvfio.emul.vfio.VfioGroup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

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
 * <p>See the package documentation for what is modelled and how faithfully.
 */
public final class EmulatedBackend implements VfioBackend {
    private static final Pattern GROUP_PATH = Pattern.compile("/dev/vfio/(0|[1-9][0-9]{0,8})");
    private static final long OFFSET_MASK = (1L << 40) - 1;

    private final Profile profile;
    private final Arch arch;
    private final ReentrantLock lock = new ReentrantLock();
    private final AddressSpace as;
    /** Mappings whose range unmapKeepingRange keeps reserved, by identity, until their owner closes. */
    private final Set<Vma> reservations = Collections.newSetFromMap(new IdentityHashMap<>());
    private final MmIommu mm;
    private final FdTable fds = new FdTable();
    private final VfioCore vfio;
    private final List<SpaprPhb> phbs = new ArrayList<>();
    private final List<PseriesPe> pes = new ArrayList<>();
    private final List<VfioPciDevice> devices = new ArrayList<>();
    private final List<EventFdFile> eventfds = new ArrayList<>();
    private final List<String> kernelBugs = new ArrayList<>();
    private final Deque<String> dmesg = new ArrayDeque<>();
    private String qemuAbort;
    private boolean closed;

    private final int reqApiVersion;
    private final int reqCheckExtension;
    private final int reqSetIommu;
    private final int reqGroupGetStatus;
    private final int reqGroupSetContainer;
    private final int reqGroupUnsetContainer;
    private final int reqGroupGetDeviceFd;
    private final int reqDeviceGetInfo;
    private final int reqDeviceGetRegionInfo;
    private final int reqDeviceGetIrqInfo;
    private final int reqDeviceSetIrqs;
    private final int reqDeviceReset;
    private final int reqTceGetInfo;
    private final int reqMapDma;
    private final int reqUnmapDma;
    private final int reqEnable;
    private final int reqDisable;
    private final int reqRegister;
    private final int reqUnregister;
    private final int reqCreate;
    private final int reqRemove;
    private final int reqEehPeOp;

    /** A fresh platform (a fresh boot) for {@code profile}, speaking ppc64le request numbers. */
    public EmulatedBackend(Profile profile) {
        this(profile, Arch.PPC64LE);
    }

    /** A fresh platform for {@code profile}, decoding request numbers as {@code arch} encodes them. */
    public EmulatedBackend(Profile profile, Arch arch) {
        this.profile = Objects.requireNonNull(profile, "profile");
        this.arch = Objects.requireNonNull(arch, "arch");
        this.as = new AddressSpace(profile);
        this.mm = new MmIommu(as);
        this.vfio = new VfioCore(fds, as, mm, this::oops, profile.eehSupported());
        DeviceHost host = new DeviceHost() {
            @Override
            public EmuFile file(int fd) {
                return fds.get(fd);
            }

            @Override
            public QemuAbortException qemuAbort(String message) {
                return abortQemu(message);
            }
        };
        int index = 0;
        for (GroupSpec g : profile.groups()) {
            SpaprPhb phb = new SpaprPhb(index++, profile);
            PseriesPe pe = new PseriesPe(g.number(), phb, profile, this::log);
            PhbDma dma = new PhbDma(phb, as);
            List<VfioPciDevice> devs = new ArrayList<>();
            for (DeviceSpec d : g.devices()) {
                devs.add(new VfioPciDevice(d.pciAddress(), g.number(), d.dmaMask(), profile.kernelPageSize(),
                        profile.firmware().initialPciCommand(), host, dma));
            }
            phbs.add(phb);
            pes.add(pe);
            devices.addAll(devs);
            vfio.addGroup(g.number(), pe, devs);
        }
        reqApiVersion = VFIO_GET_API_VERSION.request(arch);
        reqCheckExtension = VFIO_CHECK_EXTENSION.request(arch);
        reqSetIommu = VFIO_SET_IOMMU.request(arch);
        reqGroupGetStatus = VFIO_GROUP_GET_STATUS.request(arch);
        reqGroupSetContainer = VFIO_GROUP_SET_CONTAINER.request(arch);
        reqGroupUnsetContainer = VFIO_GROUP_UNSET_CONTAINER.request(arch);
        reqGroupGetDeviceFd = VFIO_GROUP_GET_DEVICE_FD.request(arch);
        reqDeviceGetInfo = VFIO_DEVICE_GET_INFO.request(arch);
        reqDeviceGetRegionInfo = VFIO_DEVICE_GET_REGION_INFO.request(arch);
        reqDeviceGetIrqInfo = VFIO_DEVICE_GET_IRQ_INFO.request(arch);
        reqDeviceSetIrqs = VFIO_DEVICE_SET_IRQS.request(arch);
        reqDeviceReset = VFIO_DEVICE_RESET.request(arch);
        reqTceGetInfo = VFIO_IOMMU_SPAPR_TCE_GET_INFO.request(arch);
        reqMapDma = VFIO_IOMMU_MAP_DMA.request(arch);
        reqUnmapDma = VFIO_IOMMU_UNMAP_DMA.request(arch);
        reqEnable = VFIO_IOMMU_ENABLE.request(arch);
        reqDisable = VFIO_IOMMU_DISABLE.request(arch);
        reqRegister = VFIO_IOMMU_SPAPR_REGISTER_MEMORY.request(arch);
        reqUnregister = VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY.request(arch);
        reqCreate = VFIO_IOMMU_SPAPR_TCE_CREATE.request(arch);
        reqRemove = VFIO_IOMMU_SPAPR_TCE_REMOVE.request(arch);
        reqEehPeOp = VFIO_EEH_PE_OP.request(arch);
    }

    public Profile profile() {
        return profile;
    }

    @Override
    public Arch arch() {
        return arch;
    }

    @Override
    public String description() {
        return "emulated " + profile.name() + " (" + arch.id() + ")";
    }

    @Override
    public boolean emulated() {
        return true;
    }

    @Override
    public List<String> groupDevices(int group) {
        GroupSpec g = profile.group(group);
        return g == null ? List.of() : g.devices().stream().map(DeviceSpec::pciAddress).sorted().toList();
    }

    @Override
    public long pageSize() {
        return profile.kernelPageSize();
    }

    @Override
    public long hugePageSize() {
        return profile.hugePageSize();
    }

    // ---- platform services ---------------------------------------------------------------------------

    private KernelBugException oops(String message) {
        kernelBugs.add(message);
        log("BUG: Kernel access of bad area (" + message + ")");
        return new KernelBugException(message);
    }

    private QemuAbortException abortQemu(String message) {
        qemuAbort = message;
        return new QemuAbortException(message);
    }

    private void log(String line) {
        if (dmesg.size() == 1000) {
            dmesg.removeFirst();
        }
        dmesg.addLast(line);
    }

    /** Takes the platform lock; throws if QEMU is gone. */
    private void enter() {
        lock.lock();
        if (qemuAbort != null) {
            lock.unlock();
            throw new QemuAbortException("QEMU aborted earlier, the platform is gone: " + qemuAbort);
        }
    }

    // ---- files ---------------------------------------------------------------------------------------

    @Override
    public int open(String path) {
        enter();
        try {
            if (closed) {
                return -Errno.ENODEV;
            }
            if ("/dev/vfio/vfio".equals(path)) {
                return vfio.openContainer();
            }
            if (path != null && GROUP_PATH.matcher(path).matches()) {
                return vfio.openGroup(Integer.parseInt(path.substring("/dev/vfio/".length())));
            }
            return -Errno.ENOENT;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int close(int fd) {
        enter();
        try {
            EmuFile f = fds.remove(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            f.put();
            return 0;
        } finally {
            lock.unlock();
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
        enter();
        try {
            EmuFile f = fds.get(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            VfioIoctl cmd = VfioIoctl.of(arch, request);
            if (f instanceof ContainerFile cf) {
                return vfio.containerIoctl(cf, cmd, argValue, seg);
            }
            if (f instanceof GroupFile gf) {
                return vfio.groupIoctl(gf, cmd, seg);
            }
            if (f instanceof DeviceFile df) {
                return df.device().ioctl(cmd, seg);
            }
            return -Errno.ENOTTY; // eventfd has no ioctls
        } finally {
            lock.unlock();
        }
    }

    private long dispatch(int fd, int request, MemorySegment seg) {
        return dispatch(fd, request, seg == null ? 0 : seg.address(), seg);
    }

    @Override
    public long ioctl(int fd, int request, MemorySegment arg) {
        return dispatch(fd, request, arg);
    }

    @Override
    public long getApiVersion(int containerFd) {
        return dispatch(containerFd, reqApiVersion, 0, MemorySegment.NULL);
    }

    @Override
    public long checkExtension(int containerFd, long extension) {
        return dispatch(containerFd, reqCheckExtension, extension, MemorySegment.NULL);
    }

    @Override
    public long setIommu(int containerFd, long type) {
        return dispatch(containerFd, reqSetIommu, type, MemorySegment.NULL);
    }

    @Override
    public long groupGetStatus(int groupFd, MemorySegment status) {
        return dispatch(groupFd, reqGroupGetStatus, status);
    }

    @Override
    public long groupSetContainer(int groupFd, int containerFd) {
        try (Arena a = Arena.ofConfined()) {
            return dispatch(groupFd, reqGroupSetContainer, a.allocateFrom(ValueLayout.JAVA_INT, containerFd));
        }
    }

    @Override
    public long groupUnsetContainer(int groupFd) {
        return dispatch(groupFd, reqGroupUnsetContainer, 0, MemorySegment.NULL);
    }

    @Override
    public long groupGetDeviceFd(int groupFd, String deviceName) {
        try (Arena a = Arena.ofConfined()) {
            return dispatch(groupFd, reqGroupGetDeviceFd, a.allocateFrom(deviceName));
        }
    }

    @Override
    public long deviceGetInfo(int deviceFd, MemorySegment info) {
        return dispatch(deviceFd, reqDeviceGetInfo, info);
    }

    @Override
    public long deviceGetRegionInfo(int deviceFd, MemorySegment info) {
        return dispatch(deviceFd, reqDeviceGetRegionInfo, info);
    }

    @Override
    public long deviceGetIrqInfo(int deviceFd, MemorySegment info) {
        return dispatch(deviceFd, reqDeviceGetIrqInfo, info);
    }

    @Override
    public long deviceSetIrqs(int deviceFd, MemorySegment irqSet) {
        return dispatch(deviceFd, reqDeviceSetIrqs, irqSet);
    }

    @Override
    public long deviceReset(int deviceFd) {
        return dispatch(deviceFd, reqDeviceReset, 0, MemorySegment.NULL);
    }

    @Override
    public long spaprTceGetInfo(int containerFd, MemorySegment info) {
        return dispatch(containerFd, reqTceGetInfo, info);
    }

    @Override
    public long iommuEnable(int containerFd) {
        return dispatch(containerFd, reqEnable, 0, MemorySegment.NULL);
    }

    @Override
    public long iommuDisable(int containerFd) {
        return dispatch(containerFd, reqDisable, 0, MemorySegment.NULL);
    }

    @Override
    public long iommuMapDma(int containerFd, MemorySegment map) {
        return dispatch(containerFd, reqMapDma, map);
    }

    @Override
    public long iommuUnmapDma(int containerFd, MemorySegment unmap) {
        return dispatch(containerFd, reqUnmapDma, unmap);
    }

    @Override
    public long spaprRegisterMemory(int containerFd, MemorySegment reg) {
        return dispatch(containerFd, reqRegister, reg);
    }

    @Override
    public long spaprUnregisterMemory(int containerFd, MemorySegment reg) {
        return dispatch(containerFd, reqUnregister, reg);
    }

    @Override
    public long spaprTceCreate(int containerFd, MemorySegment create) {
        return dispatch(containerFd, reqCreate, create);
    }

    @Override
    public long spaprTceRemove(int containerFd, MemorySegment remove) {
        return dispatch(containerFd, reqRemove, remove);
    }

    @Override
    public long eehPeOp(int containerFd, MemorySegment op) {
        return dispatch(containerFd, reqEehPeOp, op);
    }

    // ---- read/write ----------------------------------------------------------------------------------

    @Override
    public long pread(int fd, MemorySegment dst, long offset) {
        return rw(fd, dst, offset, false, true);
    }

    @Override
    public long pwrite(int fd, MemorySegment src, long offset) {
        return rw(fd, src, offset, true, true);
    }

    private long rw(int fd, MemorySegment buf, long offset, boolean write, boolean positional) {
        checkSegment(buf);
        EventFdFile efd;
        enter();
        try {
            EmuFile f = fds.get(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            if (f instanceof DeviceFile df) {
                long pos = positional ? offset : df.position();
                if (pos < 0) {
                    return -Errno.EINVAL;
                }
                long n = df.device().rw(buf, pos, write);
                if (!positional && n > 0) {
                    df.position(pos + n);
                }
                return n;
            }
            if (!(f instanceof EventFdFile e)) {
                return -Errno.EINVAL; // container and group files have no read/write
            }
            if (positional) {
                return -Errno.ESPIPE;
            }
            efd = e;
            if (write) {
                return eventfdWrite(e, buf);
            }
        } finally {
            if (lock.isHeldByCurrentThread()) {
                lock.unlock();
            }
        }
        return efd.read(buf); // may block: outside the platform lock
    }

    /** Called with the lock held; may release and retake it while a blocking write waits for room. */
    private long eventfdWrite(EventFdFile e, MemorySegment src) {
        if (src.byteSize() < 8) {
            return -Errno.EINVAL;
        }
        long v = src.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        while (true) {
            long r = e.tryWrite(v);
            if (r != EventFdFile.WOULD_BLOCK) {
                if (r == 8) {
                    for (Runnable l : e.writeListeners()) {
                        l.run(); // virqfd: INTx unmask, ioeventfd
                    }
                }
                return r;
            }
            lock.unlock();
            long w = e.awaitRoom(v);
            lock.lock();
            if (w < 0) {
                return w;
            }
        }
    }

    @Override
    public long read(int fd, MemorySegment dst) {
        return rw(fd, dst, 0, false, false);
    }

    @Override
    public long write(int fd, MemorySegment src) {
        return rw(fd, src, 0, true, false);
    }

    @Override
    public int eventfd(int initval, int flags) {
        enter();
        try {
            if ((flags & ~(EventFdFile.EFD_SEMAPHORE | EventFdFile.EFD_NONBLOCK | EventFdFile.EFD_CLOEXEC)) != 0) {
                return -Errno.EINVAL;
            }
            int fd = fds.reserve();
            if (fd < 0) {
                return fd;
            }
            EventFdFile e = new EventFdFile(Integer.toUnsignedLong(initval), flags);
            eventfds.add(e);
            fds.install(fd, e);
            return fd;
        } finally {
            lock.unlock();
        }
    }

    // ---- mmap ----------------------------------------------------------------------------------------

    @Override
    public Mmio mmapRegion(int deviceFd, long offset, long length) throws ErrnoException {
        enter();
        try {
            String what = "mmap(device fd " + deviceFd + ", offset 0x" + Long.toHexString(offset) + ", length 0x"
                    + Long.toHexString(length) + ")";
            if ((offset & (profile.kernelPageSize() - 1)) != 0 || offset < 0) {
                throw new ErrnoException(what, Errno.EINVAL);
            }
            EmuFile f = fds.get(deviceFd);
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
            return new EmulatedMmio(this, df.device(), offset & OFFSET_MASK, length);
        } finally {
            lock.unlock();
        }
    }

    /** One CPU access through a BAR mapping. */
    long mmio(VfioPciDevice dev, long barOffset, int size, boolean write, long value) {
        enter();
        try {
            if (closed) {
                throw new IllegalStateException("the emulated platform was closed");
            }
            if (write) {
                dev.mmioWrite(barOffset, value, size);
                return 0;
            }
            return dev.mmioRead(barOffset, size);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException {
        Objects.requireNonNull(owner, "owner");
        Vma v;
        enter();
        try {
            String what = "mmap(anonymous" + (hugetlb ? ", MAP_HUGETLB" : "") + ", 0x" + Long.toHexString(size)
                    + " bytes)";
            if (closed) {
                throw new ErrnoException(what, Errno.ENODEV);
            }
            AddressSpace.MmapResult r = as.mmap(size, hugetlb);
            if (r.errno() != 0) {
                throw new ErrnoException(what, r.errno());
            }
            v = r.vma();
        } finally {
            lock.unlock();
        }
        try {
            Vma mapped = v;
            return MemorySegment.ofAddress(v.start()).reinterpret(size, owner, s -> munmap(mapped));
        } catch (RuntimeException e) {
            munmap(v);
            throw e;
        }
    }

    /** munmap that keeps the range out of later mmaps until the segment's owner closes (see AddressSpace.reserve). */
    @Override
    public void unmapKeepingRange(MemorySegment anonymous) throws ErrnoException {
        Objects.requireNonNull(anonymous, "anonymous");
        lock.lock();
        try {
            Vma v = as.findVma(anonymous.address());
            if (v == null || v.start() != anonymous.address()) {
                throw new ErrnoException("munmap(0x" + Long.toHexString(anonymous.address()) + ")", Errno.EINVAL);
            }
            as.reserve(v);
            reservations.add(v);
        } finally {
            lock.unlock();
        }
    }

    /** The cleanup of a segment from {@link #mmapAnonymous}: munmap (pinned memory lives on), or the end of its reservation. */
    private void munmap(Vma v) {
        lock.lock();
        try {
            if (reservations.remove(v)) {
                as.unreserve(v.start());
            } else {
                as.munmap(v);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- inspection ----------------------------------------------------------------------------------

    /** A snapshot of the platform (without the per-page IOVA lists). */
    public EmulatorState inspect() {
        return inspect(false);
    }

    /** A snapshot of the platform; {@code withIovaPages} lists every mapped IOMMU page of every window. */
    public EmulatorState inspect(boolean withIovaPages) {
        lock.lock();
        try {
            List<EmulatorState.Container> cs = new ArrayList<>();
            List<Integer> open = fds.openFds();
            for (VfioContainer c : vfio.containers()) {
                TceContainer t = c.iommu();
                List<Integer> groups = new ArrayList<>();
                for (VfioGroup g : c.groups()) {
                    groups.add(g.number());
                }
                List<EmulatorState.Window> ws = new ArrayList<>();
                if (t != null) {
                    for (int i = 0; i < TceContainer.MAX_TABLES; i++) {
                        IommuTable tbl = t.table(i);
                        if (tbl != null) {
                            ws.add(window(i, tbl, withIovaPages));
                        }
                    }
                }
                boolean fdOpen = fds.get(c.id()) instanceof ContainerFile cf && cf.container() == c;
                cs.add(new EmulatorState.Container(c.id(), fdOpen, t == null ? "none" : t.v2() ? "v2" : "v1",
                        t != null && t.enabled(), t != null && t.defWindowPending(), List.copyOf(groups),
                        List.copyOf(ws), t == null ? 0 : t.lockedPages()));
            }
            List<EmulatorState.PreregRegion> regions = new ArrayList<>();
            for (MmIommu.Region r : mm.regions()) {
                int users = 0;
                for (VfioContainer c : vfio.containers()) {
                    if (c.iommu() != null && c.iommu().prereg().contains(r)) {
                        users++;
                    }
                }
                regions.add(new EmulatorState.PreregRegion(r.ua(), r.size(), r.mappedTces(), r.used(), users,
                        r.pageShift()));
            }
            Set<Integer> failed = new LinkedHashSet<>();
            for (PseriesPe pe : pes) {
                if (pe.failedDdw()) {
                    failed.add(pe.group());
                }
            }
            List<EmulatorState.Device> ds = new ArrayList<>();
            for (VfioPciDevice d : devices) {
                ds.add(new EmulatorState.Device(d.name(), d.group(), d.openCount(), d.config().command(), d.irqType(),
                        d.edu().transfers(), d.edu().failedTransfers(), d.edu().failedBytes()));
            }
            return new EmulatorState(List.copyOf(cs), as.lockedVmPages() * profile.kernelPageSize(),
                    List.copyOf(regions), Collections.unmodifiableSet(failed), List.copyOf(ds), !kernelBugs.isEmpty(),
                    List.copyOf(kernelBugs), qemuAbort != null, List.copyOf(open), as.vmas().size(), as.liveBlocks(),
                    as.hugePagesFree(), List.copyOf(dmesg));
        } finally {
            lock.unlock();
        }
    }

    private static EmulatorState.Window window(int slot, IommuTable tbl, boolean withPages) {
        SpaprTceTable ht = tbl.phb().byLiobn(tbl.liobn());
        long mapped = 0;
        List<Long> pages = List.of();
        if (ht != null && ht.enabled() && ht.pageShift() == tbl.pageShift()) {
            int shift = tbl.pageShift();
            long base = ht.busOffset() >>> shift;
            long from = tbl.itOffset() - base;
            long to = Math.min(ht.nbTable(), from + tbl.itSize());
            SparseTceTable e = ht.entries();
            mapped = e.countNonZero(Math.max(0, from), to);
            if (withPages) {
                List<Long> p = new ArrayList<>();
                for (long h : e.nonZeroIndexes(Math.max(0, from), to)) {
                    p.add((base + h) << shift);
                }
                pages = List.copyOf(p);
            }
        }
        return new EmulatorState.Window(slot, tbl.start(), tbl.size(), tbl.pageShift(), tbl.liobn(), mapped, pages);
    }

    /**
     * The bytes of the edu device's DMA buffer (4096), for tests that check a transfer byte for byte.
     *
     * @throws IllegalArgumentException for an unknown device
     */
    public byte[] deviceBuffer(String pciAddress) {
        lock.lock();
        try {
            for (VfioPciDevice d : devices) {
                if (d.name().equals(pciAddress)) {
                    return d.edu().buffer();
                }
            }
            throw new IllegalArgumentException("no device " + pciAddress);
        } finally {
            lock.unlock();
        }
    }

    // ---- shutdown ------------------------------------------------------------------------------------

    /**
     * The process exits: every fd is closed (releasing groups and containers, unpinning memory) and
     * blocked eventfd readers wake with EBADF. Memory from {@link #mmapAnonymous} stays valid until
     * its owner arena closes. Later calls answer EBADF (open: ENODEV). Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (int fd : fds.openFds()) {
                EmuFile f = fds.remove(fd);
                if (f != null) {
                    try {
                        f.put();
                    } catch (RuntimeException e) {
                        // a modelled kernel fault during teardown: already recorded
                    }
                }
            }
            mm.dropAll();
            as.dropAllPinsExceptMappings();
            for (EventFdFile e : eventfds) {
                e.shutdown();
            }
        } finally {
            lock.unlock();
        }
    }
}
