package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.VFIO_DMA_MAP_FLAG_READ;
import static io.jvfio.abi.VfioUapi.VFIO_DMA_MAP_FLAG_WRITE;
import static io.jvfio.abi.VfioUapi.VFIO_SPAPR_TCE_IOMMU;
import static io.jvfio.abi.VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU;
import static io.jvfio.contract.ErrnoAssert.assertFd;
import static io.jvfio.contract.ErrnoAssert.assertOk;

import io.jvfio.Vfio;
import io.jvfio.abi.Arch;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.abi.vfio_group_status;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.abi.vfio_irq_info;
import io.jvfio.abi.vfio_irq_set;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.VfioBackend;
import io.jvfio.contract.Backends.Variant;
import io.jvfio.emul.Profile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * One contract test's view of a backend: opens what the test needs, builds argument structs with
 * argsz preset, allocates DMA buffers, and on {@link #close()} tears everything down in the order
 * that leaves a real kernel clean: BAR mappings, windows (which clears their TCEs), registered
 * memory, device fds, containers unset, group and container fds, buffers.
 *
 * <p>Helpers that can fail return the raw seam result ({@code >= 0} or {@code -errno}) so tests
 * assert errno-exactly with {@link ErrnoAssert}; helpers named for setup ({@link #v2()},
 * {@link #openDevice()}, {@link #createOk}) assert success themselves.
 *
 * <p>Cost on the guest kernel: clearing a window costs ~1.8 µs per TCE under TCG, so the helpers
 * prefer small windows ({@link #smallWindow}: 256 MiB) and the default 1 GiB/4 KiB window (256Ki
 * TCEs, ~0.5 s) is only materialised by tests that are about it.
 */
public final class Fixture implements AutoCloseable {
    public static final String CONTAINER_PATH = "/dev/vfio/vfio";
    public static final String GROUP_PATH = "/dev/vfio/0";
    /**
     * Tag of the tests that leave a registered region in the process's mm on purpose (the kernel frees it
     * only at exit). L2's kernel WARNs in destroy_context when that JVM exits, so the nested harness
     * excludes them; see docs/nested-kvm.md.
     */
    public static final String LEAKS_MM_REGION = "leaks-mm-region";

    /** The only device of group 0 on the default platform (QEMU edu). */
    public static final String DEVICE = "0000:00:00.0";

    public static final long K = 1L << 10;
    public static final long M = 1L << 20;
    public static final long G = 1L << 30;
    /**
     * In L2 of the nested-KVM harness (which passes {@code -Djvfio.nested.l2.dmaWinSize}): the default
     * window is the PHB shape the harness gave L1's QEMU, and teardown costs ~0.24 ms per TCE, so the
     * suite's windows are small there too. Null anywhere else.
     */
    static final String NESTED_L2_DMA_WIN = System.getProperty("jvfio.nested.l2.dmaWinSize");
    /** The default (32-bit) window: [0, 1 GiB) on QEMU's pseries (L2: the harness's shape), 4 KiB TCEs. */
    public static final long DMA32_SIZE = NESTED_L2_DMA_WIN != null ? Long.decode(NESTED_L2_DMA_WIN) : 0x40000000L;
    /** Where QEMU puts a window created while another one is active (1 << 59). */
    public static final long DDW_START = 0x0800000000000000L;
    public static final long NORMAL_SIZE = 32 * M;
    public static final long HUGE_SIZE = 8 * M;
    /** Size of the cheap windows {@link #smallWindow} creates (16 MiB in nested L2: 4096 TCEs, about 1 s). */
    public static final long SMALL_WINDOW = NESTED_L2_DMA_WIN != null ? 16 * M : 256 * M;

    public static final int V1 = VFIO_SPAPR_TCE_IOMMU;
    public static final int V2 = VFIO_SPAPR_TCE_v2_IOMMU;
    public static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

    public final Variant variant;
    public final VfioBackend b;

    /** The most recently opened container, group and device (-1 before). */
    public int container = -1;
    public int group = -1;
    public int device = -1;

    private final Arena structs = Arena.ofConfined();
    private final Arena memory = Arena.ofShared();
    private final Set<Integer> containers = new LinkedHashSet<>();
    private final Set<Integer> groups = new LinkedHashSet<>();
    private final Set<Integer> devices = new LinkedHashSet<>();
    private final Set<Integer> others = new LinkedHashSet<>();
    private final Map<Integer, Integer> attached = new LinkedHashMap<>();
    private final Set<Integer> v1Containers = new LinkedHashSet<>();
    private final Set<Integer> v2Containers = new LinkedHashSet<>();
    private final Map<Integer, Set<Long>> windows = new LinkedHashMap<>();
    private final Map<Integer, Set<List<Long>>> registered = new LinkedHashMap<>();
    private final List<Mmio> mmios = new ArrayList<>();
    private MemorySegment normal;
    private MemorySegment huge;
    private MemorySegment lastCreate;

    private Fixture(Variant variant, VfioBackend b) {
        this.variant = variant;
        this.b = b;
    }

    /** A fixture on a fresh emulator, or on the kernel (skipped unless this is the 4 KiB-page guest). */
    public static Fixture open(Variant variant) {
        return open(variant, Profile.QEMU_PSERIES);
    }

    /** As {@link #open(Variant)}, the emulated variants on the named emulator profile. */
    public static Fixture open(Variant variant, String profile) {
        return open(variant, profile, false);
    }

    /** As {@link #open(Variant, String)}; {@code anyPageSize} lets the kernel variant run on any PAGE_SIZE ({@link AnyPageSize}). */
    public static Fixture open(Variant variant, String profile, boolean anyPageSize) {
        VfioBackend b = variant.backend(profile);
        if (variant == Variant.KERNEL && !anyPageSize) {
            Assumptions.assumeTrue(b.pageSize() == 4096, () -> "the contract expects the default platform's 4 KiB"
                    + " pages; this kernel uses " + b.pageSize());
        }
        return new Fixture(variant, b);
    }

    public boolean emulated() {
        return variant.emulated();
    }

    /**
     * The public API over this fixture's backend, for behaviour tests written against {@link Vfio}.
     * The fixture owns the backend: do not close the {@code Vfio}; close the objects opened through it.
     */
    public Vfio vfio() {
        return Vfio.over(b);
    }

    /** The emulator's count of DMA transfers its IOMMU refused on {@code device}; emulated variants only. */
    public long failedDmaTransfers(String device) {
        return EmulatorProbe.state(b, false).device(device).failedDmaTransfers();
    }

    /** PCI_COMMAND_SERR, which SLOF sets in the devices' command register and VOF does not. */
    public static final int PCI_COMMAND_SERR = 0x0100;

    /**
     * Whether the guest booted with SLOF: the harness's switch {@code -Djvfio.guest.slof=true}, or
     * SLOF's {@code /openprom} model in the device tree. The project's guest boots with VOF.
     */
    public static boolean guestSlof() {
        if (Boolean.getBoolean("jvfio.guest.slof")) {
            return true;
        }
        try {
            java.nio.file.Path model = java.nio.file.Path.of("/proc/device-tree/openprom/model");
            return java.nio.file.Files.isRegularFile(model)
                    && new String(java.nio.file.Files.readAllBytes(model), java.nio.charset.StandardCharsets.ISO_8859_1)
                            .contains("SLOF");
        } catch (java.io.IOException | SecurityException e) {
            return false;
        }
    }

    /**
     * The edu's PCI command register right after the device is opened, as the firmware left it:
     * the emulator profile's firmware, or for the kernel the guest's (0x0002 under VOF, 0x0102
     * under SLOF).
     */
    public int initialPciCommand() {
        if (b instanceof io.jvfio.emul.EmulatedBackend e) {
            return e.profile().firmware().initialPciCommand();
        }
        return (guestSlof() ? Profile.Firmware.SLOF : Profile.Firmware.VOF).initialPciCommand();
    }

    public Arch arch() {
        return b.arch();
    }

    /** The architecture whose request numbers this backend must not understand. */
    public Arch otherArch() {
        return b.arch() == Arch.PPC64LE ? Arch.X86_64 : Arch.PPC64LE;
    }

    // ---- fds -------------------------------------------------------------------------------------

    /** open(path): the raw result; a new fd is tracked and closed by {@link #close()}. */
    public int open(String path) {
        int fd = b.open(path);
        if (fd >= 0) {
            if (path.equals(CONTAINER_PATH)) {
                containers.add(fd);
            } else if (path.startsWith("/dev/vfio/")) {
                groups.add(fd);
            } else {
                others.add(fd);
            }
        }
        return fd;
    }

    public int openContainer() {
        container = assertFd(open(CONTAINER_PATH), "open(" + CONTAINER_PATH + ")");
        return container;
    }

    public int openGroup() {
        group = assertFd(open(GROUP_PATH), "open(" + GROUP_PATH + ")");
        return group;
    }

    /** close(fd), untracked first: the raw result. */
    public int closeFd(int fd) {
        containers.remove(fd);
        groups.remove(fd);
        devices.remove(fd);
        others.remove(fd);
        attached.remove(fd);
        return b.close(fd);
    }

    public int eventfd() {
        int fd = assertFd(b.eventfd(0, 0), "eventfd(0, 0)");
        others.add(fd);
        return fd;
    }

    // ---- container / group setup ---------------------------------------------------------------

    /** VFIO_GROUP_SET_CONTAINER, raw. */
    public long setContainerRaw(int g, int c) {
        long r = b.groupSetContainer(g, c);
        if (r == 0) {
            attached.put(g, c);
        }
        return r;
    }

    public void setContainer(int g, int c) {
        assertOk(setContainerRaw(g, c), "groupSetContainer(group " + g + ", container " + c + ")");
    }

    /** VFIO_GROUP_UNSET_CONTAINER, raw. */
    public long unsetContainer(int g) {
        long r = b.groupUnsetContainer(g);
        if (r == 0) {
            attached.remove(g);
        }
        return r;
    }

    /** VFIO_SET_IOMMU, raw. */
    public long setIommuRaw(int c, long type) {
        long r = b.setIommu(c, type);
        if (r == 0) {
            (type == V2 ? v2Containers : v1Containers).add(c);
        }
        return r;
    }

    public void setIommu(int c, int type) {
        assertOk(setIommuRaw(c, type), "setIommu(" + (type == V2 ? "SPAPR_TCE_v2" : type == V1 ? "SPAPR_TCE" : type) + ")");
    }

    /** Container + group 0 + SET_CONTAINER, no IOMMU type yet: the container fd. */
    public int attached() {
        openContainer();
        openGroup();
        setContainer(group, container);
        return container;
    }

    /** A v2 (SPAPR_TCE_v2) container with group 0, default window still pending: the container fd. */
    public int v2() {
        attached();
        setIommu(container, V2);
        return container;
    }

    /** A v1 (SPAPR_TCE) container with group 0, not enabled: the container fd. */
    public int v1() {
        attached();
        setIommu(container, V1);
        return container;
    }

    /** {@link #v1()}, enabled; under the {@link UnprivilegedStage} an ENABLE over the limit ends the test there. */
    public int v1Enabled() {
        v1();
        enable(container, "iommuEnable");
        return container;
    }

    /** VFIO_IOMMU_ENABLE of a v1 container: it charges the default window ({@link UnprivilegedStage#charge}). */
    public void enable(int c, String what) {
        long before = lockedVmBytes();
        UnprivilegedStage.charge(b.iommuEnable(c), before, DMA32_SIZE, what);
    }

    /** {@link #v2()} with the 32 MiB normal buffer registered. */
    public int v2Registered() {
        v2();
        assertOk(register(container, normal()), "spaprRegisterMemory(normal 32 MiB)");
        return container;
    }

    /**
     * Removes the still-pending default window (no hardware action) and creates a 256 MiB window with
     * {@code pageShift} pages in its place: far cheaper to tear down on the guest than the 1 GiB/4 KiB
     * default window. With 4 KiB pages it is default-shaped and re-creates the default window at 0;
     * otherwise the platform puts it at 1 << 59 ({@link #DDW_START}), because the hypervisor's default
     * window is still live (the real kernel; see WindowContractTest). Returns the start.
     */
    public long smallWindow(int c, int pageShift) {
        assertOk(remove(c, 0), "spaprTceRemove(0) of the pending default window");
        return createOk(c, pageShift, SMALL_WINDOW, 1);
    }

    /** VFIO_GROUP_GET_DEVICE_FD(DEVICE) on the current group, asserted. */
    public int openDevice() {
        device = assertFd(getDeviceFd(group, DEVICE), "groupGetDeviceFd(" + DEVICE + ")");
        return device;
    }

    /** VFIO_GROUP_GET_DEVICE_FD, raw; a new fd is tracked. */
    public long getDeviceFd(int g, String name) {
        long r = b.groupGetDeviceFd(g, name);
        if (r >= 0) {
            devices.add((int) r);
        }
        return r;
    }

    /** A v2 container with the device open (the device fd). */
    public int v2Device() {
        v2();
        return openDevice();
    }

    public Mmio mmap(int deviceFd, long offset, long length) throws ErrnoException {
        Mmio m = b.mmapRegion(deviceFd, offset, length);
        mmios.add(m);
        return m;
    }

    // ---- argument structs -----------------------------------------------------------------------

    /** A zeroed struct in the fixture's confined arena, argsz = its size. */
    public MemorySegment struct(MemoryLayout layout) {
        MemorySegment s = structs.allocate(layout);
        s.fill((byte) 0);
        argsz(s, (int) layout.byteSize());
        return s;
    }

    /** {@code n} zeroed bytes (for argsz games beyond a struct's size). */
    public MemorySegment bytes(long n) {
        MemorySegment s = structs.allocate(n, 8);
        s.fill((byte) 0);
        return s;
    }

    /** Overwrites the leading {@code argsz} (every VFIO struct starts with it). */
    public static MemorySegment argsz(MemorySegment s, int argsz) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 0, argsz);
        return s;
    }

    /** Overwrites {@code flags} (every VFIO struct has it at offset 4). */
    public static MemorySegment flags(MemorySegment s, int flags) {
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 4, flags);
        return s;
    }

    public MemorySegment groupStatus() {
        return struct(vfio_group_status.LAYOUT);
    }

    public MemorySegment tceInfo() {
        return struct(vfio_iommu_spapr_tce_info.LAYOUT);
    }

    public MemorySegment dmaMap(long vaddr, long iova, long size, int flags) {
        MemorySegment s = struct(vfio_iommu_type1_dma_map.LAYOUT);
        vfio_iommu_type1_dma_map.flags.set(s, flags);
        vfio_iommu_type1_dma_map.vaddr.set(s, vaddr);
        vfio_iommu_type1_dma_map.iova.set(s, iova);
        vfio_iommu_type1_dma_map.size.set(s, size);
        return s;
    }

    public MemorySegment dmaUnmap(long iova, long size) {
        MemorySegment s = struct(vfio_iommu_type1_dma_unmap.LAYOUT);
        vfio_iommu_type1_dma_unmap.iova.set(s, iova);
        vfio_iommu_type1_dma_unmap.size.set(s, size);
        return s;
    }

    public MemorySegment regMem(long vaddr, long size) {
        MemorySegment s = struct(vfio_iommu_spapr_register_memory.LAYOUT);
        vfio_iommu_spapr_register_memory.vaddr.set(s, vaddr);
        vfio_iommu_spapr_register_memory.size.set(s, size);
        return s;
    }

    public MemorySegment tceCreate(int pageShift, long windowSize, int levels) {
        MemorySegment s = struct(vfio_iommu_spapr_tce_create.LAYOUT);
        vfio_iommu_spapr_tce_create.page_shift.set(s, pageShift);
        vfio_iommu_spapr_tce_create.window_size.set(s, windowSize);
        vfio_iommu_spapr_tce_create.levels.set(s, levels);
        return s;
    }

    public MemorySegment tceRemove(long start) {
        MemorySegment s = struct(vfio_iommu_spapr_tce_remove.LAYOUT);
        vfio_iommu_spapr_tce_remove.start_addr.set(s, start);
        return s;
    }

    public MemorySegment deviceInfo() {
        return struct(vfio_device_info.LAYOUT);
    }

    public MemorySegment regionInfo(int index) {
        MemorySegment s = struct(vfio_region_info.LAYOUT);
        vfio_region_info.index.set(s, index);
        return s;
    }

    public MemorySegment irqInfo(int index) {
        MemorySegment s = struct(vfio_irq_info.LAYOUT);
        vfio_irq_info.index.set(s, index);
        return s;
    }

    /** A {@code vfio_irq_set} followed by {@code data} (eventfds, or nothing); argsz covers both. */
    public MemorySegment irqSet(int flags, int index, int start, int count, int... data) {
        long size = vfio_irq_set.SIZE + 4L * data.length;
        MemorySegment s = bytes(Math.max(size, 24));
        argsz(s, (int) size);
        vfio_irq_set.flags.set(s, flags);
        vfio_irq_set.index.set(s, index);
        vfio_irq_set.start.set(s, start);
        vfio_irq_set.count.set(s, count);
        for (int i = 0; i < data.length; i++) {
            s.set(ValueLayout.JAVA_INT_UNALIGNED, vfio_irq_set.SIZE + 4L * i, data[i]);
        }
        return s;
    }

    public MemorySegment eehOp(int op) {
        MemorySegment s = struct(vfio_eeh_pe_op.LAYOUT);
        vfio_eeh_pe_op.op.set(s, op);
        return s;
    }

    // ---- IOMMU calls, raw results, tracked for teardown ----------------------------------------

    public long register(int c, long vaddr, long size) {
        long r = b.spaprRegisterMemory(c, regMem(vaddr, size));
        if (r == 0) {
            registered.computeIfAbsent(c, k -> new LinkedHashSet<>()).add(List.of(vaddr, size));
        }
        return r;
    }

    public long register(int c, MemorySegment buf) {
        return register(c, buf.address(), buf.byteSize());
    }

    public long unregister(int c, long vaddr, long size) {
        long r = b.spaprUnregisterMemory(c, regMem(vaddr, size));
        if (r == 0 && registered.containsKey(c)) {
            registered.get(c).remove(List.of(vaddr, size));
        }
        return r;
    }

    public long unregister(int c, MemorySegment buf) {
        return unregister(c, buf.address(), buf.byteSize());
    }

    /** MAP_DMA read+write. */
    public long map(int c, long iova, long size, long vaddr) {
        return map(c, iova, size, vaddr, RW);
    }

    public long map(int c, long iova, long size, long vaddr, int flags) {
        return b.iommuMapDma(c, dmaMap(vaddr, iova, size, flags));
    }

    public long unmap(int c, long iova, long size) {
        return b.iommuUnmapDma(c, dmaUnmap(iova, size));
    }

    /** TCE_CREATE, raw; {@link #lastStart()} reads the start it returned. */
    public long create(int c, int pageShift, long windowSize, int levels) {
        lastCreate = tceCreate(pageShift, windowSize, levels);
        long r = b.spaprTceCreate(c, lastCreate);
        if (r == 0) {
            windows.computeIfAbsent(c, k -> new LinkedHashSet<>()).add(lastStart());
        }
        return r;
    }

    /** The start_addr of the last {@link #create}. */
    public long lastStart() {
        return vfio_iommu_spapr_tce_create.start_addr.get(lastCreate);
    }

    /** TCE_CREATE, asserted: the window's start. */
    public long createOk(int c, int pageShift, long windowSize, int levels) {
        assertOk(create(c, pageShift, windowSize, levels), "spaprTceCreate(page_shift=" + pageShift + ", window_size=0x"
                + Long.toHexString(windowSize) + ", levels=" + levels + ")");
        return lastStart();
    }

    public long remove(int c, long start) {
        long r = b.spaprTceRemove(c, tceRemove(start));
        if (r == 0 && windows.containsKey(c)) {
            windows.get(c).remove(start);
        }
        return r;
    }

    // ---- process memory ----------------------------------------------------------------------------

    /** 32 MiB of normal (4 KiB-page) anonymous memory, allocated once per fixture. */
    public MemorySegment normal() {
        if (normal == null) {
            normal = buffer(NORMAL_SIZE, false);
        }
        return normal;
    }

    /** 8 MiB of 2 MiB hugetlb memory (four of the guest's 16 reserved huge pages), once per fixture. */
    public MemorySegment huge() {
        if (huge == null) {
            huge = buffer(HUGE_SIZE, true);
        }
        return huge;
    }

    /** Anonymous memory unmapped by {@link #close()}; on the kernel, no free huge page (ENOMEM) skips the test. */
    public MemorySegment buffer(long size, boolean hugetlb) {
        try {
            return b.mmapAnonymous(size, hugetlb, memory);
        } catch (ErrnoException e) {
            if (hugetlb && !emulated() && e.errno() == Errno.ENOMEM) {
                Assumptions.abort("needs free 2 MiB huge pages (the guest reserves 16: echo 16 >"
                        + " /proc/sys/vm/nr_hugepages): " + e.getMessage());
            }
            throw new AssertionError("mmapAnonymous(0x" + Long.toHexString(size) + (hugetlb ? ", hugetlb" : "") + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Memory that is never unmapped: for the one test after which the kernel keeps a pinned region
     * alive until the process exits (UNREGISTER while mapped), so that no later mapping can reuse its
     * addresses and meet the stale region.
     */
    public MemorySegment leakedBuffer(long size) {
        try {
            return b.mmapAnonymous(size, false, Arena.global());
        } catch (ErrnoException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /**
     * The process's locked_vm in bytes: what the SPAPR driver charges (REGISTER, CREATE, v1 ENABLE).
     * The kernel reports it as {@code VmLck} in /proc/self/status; the emulator through its state.
     */
    public long lockedVmBytes() {
        if (emulated()) {
            return EmulatorProbe.lockedVmBytes(b);
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmLck:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new AssertionError("cannot read VmLck from /proc/self/status", e);
        }
        throw new AssertionError("no VmLck in /proc/self/status");
    }

    // ---- teardown ------------------------------------------------------------------------------------

    /**
     * Leaves the backend as it was: windows removed before memory is unregistered (an UNREGISTER
     * while TCEs still point into a region leaves it pinned until the process exits), then devices
     * closed, containers unset, fds closed, buffers unmapped. Best effort: every step runs even when
     * one fails, failures are printed.
     */
    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        for (Mmio m : mmios) {
            quietly(problems, "munmap BAR", () -> m.close());
        }
        for (int c : v2Containers) {
            if (!isOpen(c)) {
                continue;
            }
            Set<Long> starts = new LinkedHashSet<>(windows.getOrDefault(c, Set.of()));
            starts.add(0L);
            starts.add(DDW_START);
            for (long s : starts) {
                quietly(problems, "remove window 0x" + Long.toHexString(s), () -> b.spaprTceRemove(c, tceRemove(s)));
            }
            for (List<Long> r : registered.getOrDefault(c, Set.of())) {
                quietly(problems, "unregister", () -> b.spaprUnregisterMemory(c, regMem(r.get(0), r.get(1))));
            }
        }
        for (int c : v1Containers) {
            if (isOpen(c)) {
                quietly(problems, "disable", () -> b.iommuDisable(c));
            }
        }
        for (int d : devices) {
            quietly(problems, "close device", () -> b.close(d));
        }
        for (int g : attached.keySet()) {
            quietly(problems, "unset container", () -> b.groupUnsetContainer(g));
        }
        for (Set<Integer> fds : List.of(groups, containers, others)) {
            for (int fd : fds) {
                quietly(problems, "close " + fd, () -> b.close(fd));
            }
        }
        quietly(problems, "unmap buffers", () -> memory.close());
        quietly(problems, "free structs", () -> structs.close());
        if (emulated()) {
            quietly(problems, "close emulator", () -> b.close());
        }
        if (!problems.isEmpty()) {
            System.err.println("jvfio contract fixture [" + variant.id() + "] teardown: " + problems);
        }
    }

    private boolean isOpen(int c) {
        return containers.contains(c);
    }

    private static void quietly(List<String> problems, String what, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            problems.add(what + ": " + e);
        }
    }
}
