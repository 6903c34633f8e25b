package io.jvfio.emul;

import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.emul.device.DeviceHost;
import io.jvfio.emul.device.EduModel;
import io.jvfio.emul.device.PciFunction;
import io.jvfio.emul.device.PhbDma;
import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.device.nvme.NvmeFunction;
import io.jvfio.emul.device.nvme.NvmeNamespace;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.fs.FdTable;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.Vma;
import io.jvfio.emul.papr.SpaprPhb;
import io.jvfio.emul.pseries.PseriesPe;
import io.jvfio.emul.vfio.VfioCore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The emulated machine behind {@link EmulatedBackend}: QEMU's {@code pseries} machine (one PHB per
 * group, hw/ppc/spapr_pci.c) with its devices, and the guest kernel's state (the process's fds and
 * address space, {@code mm_iommu}, VFIO), built from a {@link Profile}. Owns the one platform lock,
 * the kernel's oops and QEMU's abort records and dmesg, and the process's anonymous memory.
 */
final class EmulatorPlatform {
    final Profile profile;
    final ReentrantLock lock = new ReentrantLock();
    final AddressSpace as;
    /** Mappings whose range unmapKeepingRange keeps reserved, by identity, until their owner closes. */
    private final Set<Vma> reservations = Collections.newSetFromMap(new IdentityHashMap<>());
    final MmIommu mm;
    final FdTable fds = new FdTable();
    final VfioCore vfio;
    final List<PseriesPe> pes = new ArrayList<>();
    final List<VfioPciDevice> devices = new ArrayList<>();
    final List<EventFdFile> eventfds = new ArrayList<>();
    /** NVMe namespaces (image files): closed when the process exits, as QEMU closes its drives. */
    private final List<NvmeNamespace> namespaces = new ArrayList<>();
    /** The serial the guest harness gives QEMU's nvme ({@code -device nvme,serial=jvfio-nvme}). */
    static final String NVME_SERIAL = "jvfio-nvme";
    final List<String> kernelBugs = new ArrayList<>();
    final Deque<String> dmesg = new ArrayDeque<>();
    private final java.util.Set<String> warnedOnce = new java.util.HashSet<>();
    String qemuAbort;
    boolean closed;
    private final DeviceHost host;
    private static final java.util.regex.Pattern GROUP_PATH = java.util.regex.Pattern.compile("/dev/vfio/(0|[1-9][0-9]{0,8})");

    /** The PCI addresses of a group's devices now (after any hot-plug), sorted; empty for a group that does not exist. */
    List<String> groupDevices(int group) {
        return vfio.groups().stream().filter(g -> g.number() == group).flatMap(g -> g.devices().stream())
                .map(VfioPciDevice::name).sorted().toList();
    }

    /** The IOMMU groups that exist now, sorted. */
    List<Integer> groups() {
        return vfio.groups().stream().map(io.jvfio.emul.vfio.VfioGroup::number).sorted().toList();
    }

    EmulatorPlatform(Profile profile) {
        this.profile = Objects.requireNonNull(profile, "profile");
        this.as = new AddressSpace(profile);
        this.mm = new MmIommu(as, this::warnOnce);
        this.vfio = new VfioCore(fds, as, mm, this::oops, profile.eehSupported(), profile.credentials(),
                profile.kernel());
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
        this.host = host;
        for (GroupSpec g : profile.groups()) {
            plug(g);
        }
    }

    /** A PHB with {@code g}'s devices, the next in PHB order: at boot, or hot-added ({@link EmulatorHotplug}). */
    void plug(GroupSpec g) {
        SpaprPhb phb = new SpaprPhb(pes.size(), profile);
        PseriesPe pe = new PseriesPe(g.number(), phb, profile, this::log);
        PhbDma dma = new PhbDma(phb, as);
        List<VfioPciDevice> devs = new ArrayList<>();
        for (DeviceSpec d : g.devices()) {
            devs.add(new VfioPciDevice(d.pciAddress(), g.number(), profile.kernelPageSize(), function(d), host, dma,
                    profile.kernel()));
        }
        pes.add(pe);
        devices.addAll(devs);
        vfio.addGroup(g.number(), pe, devs, g.node());
    }

    /** open(2) of a path in the emulated namespace: the container, a group's node, else ENOENT. */
    int open(String path) {
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

    /** The PCI function model of {@code d}, as the profile's firmware left it. */
    private PciFunction function(DeviceSpec d) {
        int command = profile.firmware().initialPciCommand();
        return switch (d.kind()) {
            case EDU -> new EduModel(command, d.dmaMask());
            case NVME -> new NvmeFunction(command, namespace(d), NVME_SERIAL);
        };
    }

    /** The namespace of an NVMe device: QEMU's {@code -drive} (an image file) or memory. Closed at shutdown. */
    private NvmeNamespace namespace(DeviceSpec d) {
        NvmeNamespace ns;
        try {
            if (d.image() == null) {
                ns = NvmeNamespace.memory(d.namespaceBytes());
            } else if (d.namespaceBytes() > 0 && !Files.exists(d.image())) {
                ns = NvmeNamespace.create(d.image(), d.namespaceBytes());
            } else {
                ns = NvmeNamespace.file(d.image());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("emulated NVMe " + d.pciAddress() + ": cannot open the namespace image "
                    + d.image() + ": " + e.getMessage(), e);
        }
        namespaces.add(ns);
        return ns;
    }

    // ---- faults and the log --------------------------------------------------------------------------

    KernelBugException oops(String message) {
        kernelBugs.add(message);
        log("BUG: Kernel access of bad area (" + message + ")");
        return new KernelBugException(message);
    }

    private QemuAbortException abortQemu(String message) {
        qemuAbort = message;
        return new QemuAbortException(message);
    }

    /** WARN_ON_ONCE: the first time in this boot, the message goes to the log. */
    private void warnOnce(String message) {
        if (warnedOnce.add(message)) {
            log(message);
        }
    }

    void log(String line) {
        if (dmesg.size() == 1000) {
            dmesg.removeFirst();
        }
        dmesg.addLast(line);
    }

    /** Takes the platform lock; throws if QEMU is gone. */
    void enter() {
        lock.lock();
        if (qemuAbort != null) {
            lock.unlock();
            throw new QemuAbortException("QEMU aborted earlier, the platform is gone: " + qemuAbort);
        }
    }

    /** Runs {@code pass} on the fd table under the platform lock: a poll(2) pass ({@link io.jvfio.emul.fs.Select}). */
    int withFiles(java.util.function.ToIntFunction<FdTable> pass) {
        enter();
        try {
            return pass.applyAsInt(fds);
        } finally {
            lock.unlock();
        }
    }

    // ---- the process's anonymous memory --------------------------------------------------------------

    /** mmap(MAP_ANONYMOUS), owned by {@code owner}: its close is the munmap. */
    MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException {
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
    void unmapKeepingRange(MemorySegment anonymous) throws ErrnoException {
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

    /** eventfd(2): a new eventfd in the process's fd table, or -errno. */
    int eventfd(int initval, int flags) {
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

    // ---- shutdown ------------------------------------------------------------------------------------

    /** The process exits: every fd closed, pins dropped, blocked eventfd readers woken. Idempotent. */
    void shutdown() {
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
            for (NvmeNamespace ns : namespaces) {
                try {
                    ns.close();
                } catch (RuntimeException e) {
                    log("nvme: closing a namespace image failed: " + e.getMessage());
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
