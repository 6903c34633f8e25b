package io.jvfio.emul;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The platform an {@link EmulatedBackend} models: a Linux pSeries guest ({@link #KERNEL} unless
 * {@link #kernel()} names another release; 4 KiB pages, radix MMU) on QEMU 7.2's {@code pseries} machine, with the sPAPR PHB properties that shape its DMA
 * windows. {@link #named(String)} gives the predefined platforms; {@link #builder()} a custom one.
 *
 * @param name a label, shown in {@link EmulatedBackend#description()}
 * @param kernelPageSize the guest kernel's PAGE_SIZE (alignment of REGISTER_MEMORY, locked_vm units)
 * @param hugePageSize the default hugetlb page size (2 MiB under radix)
 * @param dma32WindowStart QEMU {@code dma_win_addr}: bus address of the default window
 * @param dma32WindowSize QEMU {@code dma_win_size}: size of the default window (a power of two,
 *     4 KiB to 2 GiB: the kernel keeps it in a u32)
 * @param ddwEnabled QEMU {@code ddw}: whether the PHB offers dynamic DMA windows
 *     ({@code ibm,ddw-applicable} in the device tree)
 * @param pgsizes QEMU {@code pgsz}: IOMMU page sizes the hypervisor supports (bit n = 2^n bytes)
 * @param dma64WindowAddr QEMU {@code dma64_win_addr}: where a window lands while another one exists
 * @param largestBlockTces what {@code ibm,query-pe-dma-window} reports as the largest block (TCEs)
 * @param windowsSupported DMA windows per PE in the hypervisor: 2, or 1 for an SR-IOV-VF-like PE
 *     whose DDW must replace the default window
 * @param memlockLimitBytes the process's RLIMIT_MEMLOCK soft limit; {@link #UNLIMITED} is RLIM_INFINITY.
 *     {@code account_locked_vm} checks it only without CAP_IPC_LOCK (see {@code credentials})
 * @param credentials the process's uid, gid and capabilities ({@link Credentials#ROOT} by default, as
 *     the guest suite runs); the group nodes' owners and modes are in {@link GroupSpec#node()}
 * @param eehSupported whether the guest has EEH (the observed guest answered
 *     CHECK_EXTENSION(VFIO_EEH) = 0 because QEMU offers no EEH for emulated devices)
 * @param groups the IOMMU groups, one per PHB
 * @param hugePages how many huge pages the guest reserved ({@code nr_hugepages}, 16 in the recipe)
 * @param guestRamBytes guest RAM ({@code -m 2G}): the largest anonymous mmap, and the largest
 *     vmalloc the kernel can make for a window's userspace view
 * @param firmware the guest's firmware: {@link Firmware#VOF} (the project's guest, QEMU's
 *     {@code x-vof=on}) or {@link Firmware#SLOF}; it decides what the PCI command register holds
 *     when the kernel first reads it
 * @param kernel the guest kernel release modelled ({@link #KERNEL} by default, {@link #KERNEL_NEWEST}
 *     for {@code qemu-pseries-7.2}): where releases differ, the model follows the
 *     {@link io.jvfio.backend.KernelFix}es this release carries
 */
public record Profile(
        String name,
        long kernelPageSize,
        long hugePageSize,
        long dma32WindowStart,
        long dma32WindowSize,
        boolean ddwEnabled,
        long pgsizes,
        long dma64WindowAddr,
        long largestBlockTces,
        int windowsSupported,
        long memlockLimitBytes,
        Credentials credentials,
        boolean eehSupported,
        List<GroupSpec> groups,
        int hugePages,
        long guestRamBytes,
        Firmware firmware,
        String kernel) {

    /**
     * The release the profiles model by default: Debian bookworm-backports' 6.12.95, the guest suite's
     * kernel (its pSeries IOMMU code and vfio_iommu_spapr_tce).
     */
    public static final String KERNEL = "6.12.95";
    /**
     * The newest kernel the project tests, forky's 7.2.12 ({@code qemu-images/build.sh --kernel newest}):
     * it differs from 6.12.95 where {@link io.jvfio.backend.KernelFix#TCE_RANGE_CHECK} applies.
     */
    public static final String KERNEL_NEWEST = "7.2.12";

    /**
     * The firmware the guest booted with. Neither enables memory decoding or bus mastering of the
     * devices the kernel leaves to vfio-pci; SLOF sets SERR, QEMU's Virtual Open Firmware does not.
     */
    public enum Firmware {
        /** QEMU's Virtual Open Firmware ({@code -machine pseries,x-vof=on}): command 0x0002 (MEMORY). */
        VOF(0x0002),
        /** SLOF (QEMU's default pSeries firmware): command 0x0102 (MEMORY, SERR), as in the recorded trace. */
        SLOF(0x0102);

        private final int initialPciCommand;

        Firmware(int initialPciCommand) {
            this.initialPciCommand = initialPciCommand;
        }

        /** The PCI command register as the guest reads it through vfio right after opening the device. */
        public int initialPciCommand() {
            return initialPciCommand;
        }
    }

    /** RLIM_INFINITY. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    public static final String QEMU_PSERIES = "qemu-pseries";
    public static final String QEMU_PSERIES_2PHB = "qemu-pseries-2phb";
    /** {@code qemu-pseries} with the newest kernel the project tests, {@value #KERNEL_NEWEST}. */
    public static final String QEMU_PSERIES_NEWEST = "qemu-pseries-7.2";
    /** {@code qemu-pseries} booted with SLOF (the firmware of the recorded kernel trace). */
    public static final String QEMU_PSERIES_SLOF = "qemu-pseries-slof";
    public static final String SRIOV_VF = "sriov-vf";
    public static final String NO_DDW = "no-ddw";
    public static final String BIG_WINDOW = "big-window";
    /**
     * {@code qemu-pseries} plus QEMU's nvme on a PHB of its own (group 1, {@code 0001:00:00.0}) with a
     * 64 MiB namespace in memory, as the guest harness's {@code --nvme} boot.
     */
    public static final String QEMU_PSERIES_NVME = "qemu-pseries-nvme";
    /**
     * The topology guest ({@code make test-topology}, {@code #% platform qemu-pseries-topology}): edu on
     * PHB 0 (group 0) and PHB 1 (group 1), and a multi-function edu on PHB 2, functions 0 to 2
     * ({@code 0002:00:00.0}..{@code .2}), which are one PE and so one group, 2.
     */
    public static final String QEMU_PSERIES_TOPOLOGY = "qemu-pseries-topology";
    /**
     * {@link #QEMU_PSERIES_TOPOLOGY} plus a two-function NVMe slot on PHB 3 ({@code 0003:00:00.0} and
     * {@code .1}, one PE, so one group, 3), each function with its own 64 MiB namespace in memory: the
     * topology guest's NVMe slot ({@code make test-topology}).
     */
    public static final String QEMU_PSERIES_TOPOLOGY_NVME = "qemu-pseries-topology-nvme";
    /** The functions of {@link #QEMU_PSERIES_TOPOLOGY_NVME}'s NVMe slot, in group {@link #TOPOLOGY_NVME_GROUP}. */
    public static final List<String> TOPOLOGY_NVME_FUNCTIONS = List.of("0003:00:00.0", "0003:00:00.1");
    /** The group of {@link #QEMU_PSERIES_TOPOLOGY_NVME}'s NVMe slot. */
    public static final int TOPOLOGY_NVME_GROUP = 3;
    /** The namespace size of {@link #QEMU_PSERIES_NVME}. */
    public static final long NVME_NAMESPACE_BYTES = 64L << 20;

    private static final Map<String, Supplier<Profile>> NAMED = new LinkedHashMap<>();

    static {
        NAMED.put(QEMU_PSERIES, () -> builder().build());
        NAMED.put(QEMU_PSERIES_NEWEST, () -> builder().name(QEMU_PSERIES_NEWEST).kernel(KERNEL_NEWEST).build());
        NAMED.put(QEMU_PSERIES_2PHB, () -> builder().name(QEMU_PSERIES_2PHB)
                .group(0, DeviceSpec.edu("0000:00:00.0"))
                .group(1, DeviceSpec.edu("0001:00:00.0"))
                .build());
        NAMED.put(SRIOV_VF, () -> builder().name(SRIOV_VF).windowsSupported(1).build());
        NAMED.put(NO_DDW, () -> builder().name(NO_DDW).ddwEnabled(false).build());
        NAMED.put(BIG_WINDOW, () -> builder().name(BIG_WINDOW).dma32WindowSize(0x80000000L).build());
        NAMED.put(QEMU_PSERIES_SLOF, () -> builder().name(QEMU_PSERIES_SLOF).firmware(Firmware.SLOF).build());
        NAMED.put(QEMU_PSERIES_NVME, () -> builder().name(QEMU_PSERIES_NVME)
                .group(0, DeviceSpec.edu("0000:00:00.0"))
                .group(1, DeviceSpec.nvme("0001:00:00.0", NVME_NAMESPACE_BYTES))
                .build());
        NAMED.put(QEMU_PSERIES_TOPOLOGY, () -> builder().name(QEMU_PSERIES_TOPOLOGY)
                .group(0, DeviceSpec.edu("0000:00:00.0"))
                .group(1, DeviceSpec.edu("0001:00:00.0"))
                .group(2, DeviceSpec.edu("0002:00:00.0"), DeviceSpec.edu("0002:00:00.1"), DeviceSpec.edu("0002:00:00.2"))
                .build());
        NAMED.put(QEMU_PSERIES_TOPOLOGY_NVME, () -> topologyNvme(TOPOLOGY_NVME_FUNCTIONS.stream()
                .map(f -> DeviceSpec.nvme(f, NVME_NAMESPACE_BYTES)).toArray(DeviceSpec[]::new)));
    }

    /**
     * {@link #QEMU_PSERIES_TOPOLOGY_NVME} with {@code functions} as its NVMe slot's devices (e.g. each
     * namespace on an image file, {@link DeviceSpec#nvme(String, java.nio.file.Path, long)}).
     */
    public static Profile topologyNvme(DeviceSpec... functions) {
        return named(QEMU_PSERIES_TOPOLOGY).toBuilder().name(QEMU_PSERIES_TOPOLOGY_NVME)
                .group(TOPOLOGY_NVME_GROUP, functions).build();
    }

    public Profile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(firmware, "firmware");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(kernel, "kernel");
        if (!kernel.matches("\\d+\\.\\d+\\.\\d+.*")) {
            throw new IllegalArgumentException("kernel must be a release MAJOR.MINOR.PATCH (e.g. 6.12.95): " + kernel);
        }
        requirePow2("kernelPageSize", kernelPageSize, 4096, 1L << 16);
        requirePow2("hugePageSize", hugePageSize, kernelPageSize, 1L << 34);
        requirePow2("dma32WindowSize", dma32WindowSize, 4096, 1L << 31);
        if (dma32WindowStart < 0 || dma32WindowStart > 0xffffffffL || (dma32WindowStart & 0xfff) != 0) {
            throw new IllegalArgumentException("dma32WindowStart must be a 4 KiB aligned 32-bit bus address: 0x"
                    + Long.toHexString(dma32WindowStart));
        }
        if ((pgsizes & 0x1000) == 0) {
            throw new IllegalArgumentException("pgsizes must include 4 KiB (0x1000): 0x" + Long.toHexString(pgsizes));
        }
        if (windowsSupported < 1 || windowsSupported > 2) {
            throw new IllegalArgumentException("windowsSupported is 1 or 2: " + windowsSupported);
        }
        if (largestBlockTces <= 0) {
            throw new IllegalArgumentException("largestBlockTces must be positive");
        }
        if (memlockLimitBytes < 0) {
            throw new IllegalArgumentException("memlockLimitBytes must be >= 0 (UNLIMITED for none)");
        }
        if (hugePages < 0) {
            throw new IllegalArgumentException("hugePages must be >= 0");
        }
        if (guestRamBytes < (1L << 26)) {
            throw new IllegalArgumentException("guestRamBytes must be at least 64 MiB");
        }
        groups = List.copyOf(groups);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("a profile needs at least one group");
        }
        Set<Integer> numbers = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (GroupSpec g : groups) {
            if (!numbers.add(g.number())) {
                throw new IllegalArgumentException("group " + g.number() + " appears twice");
            }
            for (DeviceSpec d : g.devices()) {
                if (!addresses.add(d.pciAddress())) {
                    throw new IllegalArgumentException("device " + d.pciAddress() + " appears twice");
                }
            }
        }
    }

    private static void requirePow2(String what, long v, long min, long max) {
        if (v < min || v > max || Long.bitCount(v) != 1) {
            throw new IllegalArgumentException(what + " must be a power of two in [" + min + ", " + max + "]: " + v);
        }
    }

    /** The predefined platforms: {@code qemu-pseries}, {@code qemu-pseries-7.2}, {@code qemu-pseries-2phb}, {@code sriov-vf}, {@code no-ddw}, {@code big-window}, {@code qemu-pseries-slof}, {@code qemu-pseries-nvme}, {@code qemu-pseries-topology}, {@code qemu-pseries-topology-nvme}. */
    public static List<String> names() {
        return List.copyOf(NAMED.keySet());
    }

    /**
     * A predefined platform.
     *
     * @throws IllegalArgumentException for an unknown name; the message lists the known ones
     */
    public static Profile named(String name) {
        Supplier<Profile> p = NAMED.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown emulator profile '" + name + "'; known profiles: "
                    + String.join(", ", NAMED.keySet()));
        }
        return p.get();
    }

    /** The default platform, the project's guest as the real kernel reports it ({@code qemu-pseries}, VOF firmware). */
    public static Profile qemuPseries() {
        return named(QEMU_PSERIES);
    }

    /** A builder preset to {@code qemu-pseries}; groups added with {@link Builder#group} replace the default group. */
    public static Builder builder() {
        return new Builder();
    }

    /** This profile with another modelled kernel release (e.g. the one {@code jvfio diff --kernel} boots). */
    public Profile withKernel(String release) {
        return toBuilder().kernel(release).build();
    }

    /**
     * This profile on a guest kernel built with another PAGE_SIZE (Debian's {@code -64k} flavour:
     * 64 KiB), with what that kernel changes as measured on it (docs/fidelity.md, "Page-size flavours").
     */
    public Profile withKernelPageSize(long pageSize) {
        return toBuilder().kernelPageSize(pageSize).build();
    }

    /** A builder preset to this profile. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.kernelPageSize = kernelPageSize;
        b.hugePageSize = hugePageSize;
        b.dma32WindowStart = dma32WindowStart;
        b.dma32WindowSize = dma32WindowSize;
        b.ddwEnabled = ddwEnabled;
        b.pgsizes = pgsizes;
        b.dma64WindowAddr = dma64WindowAddr;
        b.largestBlockTces = largestBlockTces;
        b.windowsSupported = windowsSupported;
        b.memlockLimitBytes = memlockLimitBytes;
        b.credentials = credentials;
        b.eehSupported = eehSupported;
        b.groups.addAll(groups);
        b.hugePages = hugePages;
        b.guestRamBytes = guestRamBytes;
        b.firmware = firmware;
        b.kernel = kernel;
        return b;
    }

    /** The group with this number, or null. */
    public GroupSpec group(int number) {
        for (GroupSpec g : groups) {
            if (g.number() == number) {
                return g;
            }
        }
        return null;
    }

    /** Builds a {@link Profile}; every value starts at the {@code qemu-pseries} default. */
    public static final class Builder {
        private String name = QEMU_PSERIES;
        private long kernelPageSize = 4096;
        private long hugePageSize = 2L << 20;
        private long dma32WindowStart = 0;
        private long dma32WindowSize = 0x40000000L;
        private boolean ddwEnabled = true;
        private long pgsizes = 0x1211000L;
        private long dma64WindowAddr = 0x0800000000000000L;
        private long largestBlockTces = 1L << 37;
        private int windowsSupported = 2;
        private long memlockLimitBytes = UNLIMITED;
        private Credentials credentials = Credentials.ROOT;
        private boolean eehSupported = false;
        private final List<GroupSpec> groups = new ArrayList<>();
        private int hugePages = 16;
        private long guestRamBytes = 2L << 30;
        private Firmware firmware = Firmware.VOF;
        private String kernel = KERNEL;

        private Builder() {}

        public Builder name(String v) { name = v; return this; }
        public Builder kernelPageSize(long v) { kernelPageSize = v; return this; }
        public Builder hugePageSize(long v) { hugePageSize = v; return this; }
        public Builder dma32WindowStart(long v) { dma32WindowStart = v; return this; }
        public Builder dma32WindowSize(long v) { dma32WindowSize = v; return this; }
        public Builder ddwEnabled(boolean v) { ddwEnabled = v; return this; }
        public Builder pgsizes(long v) { pgsizes = v; return this; }
        public Builder dma64WindowAddr(long v) { dma64WindowAddr = v; return this; }
        public Builder largestBlockTces(long v) { largestBlockTces = v; return this; }
        public Builder windowsSupported(int v) { windowsSupported = v; return this; }
        public Builder memlockLimitBytes(long v) { memlockLimitBytes = v; return this; }
        public Builder credentials(Credentials v) { credentials = v; return this; }

        /** Hands group {@code number}'s node to an owner and mode (the group must have been added, or be the default 0). */
        public Builder groupNode(int number, DeviceNode node) {
            if (groups.isEmpty()) {
                groups.add(defaultGroup());
            }
            for (int i = 0; i < groups.size(); i++) {
                if (groups.get(i).number() == number) {
                    groups.set(i, groups.get(i).withNode(node));
                    return this;
                }
            }
            throw new IllegalArgumentException("no group " + number + " in the profile");
        }
        public Builder eehSupported(boolean v) { eehSupported = v; return this; }
        public Builder hugePages(int v) { hugePages = v; return this; }
        public Builder guestRamBytes(long v) { guestRamBytes = v; return this; }
        public Builder firmware(Firmware v) { firmware = v; return this; }
        public Builder kernel(String v) { kernel = v; return this; }

        /** Adds a group (the first call drops the default group 0). */
        public Builder group(GroupSpec g) {
            groups.add(g);
            return this;
        }

        public Builder group(int number, DeviceSpec... devices) {
            return group(GroupSpec.of(number, devices));
        }

        /** Removes every group added so far. */
        public Builder clearGroups() {
            groups.clear();
            return this;
        }

        private static GroupSpec defaultGroup() {
            return GroupSpec.of(0, DeviceSpec.edu("0000:00:00.0"));
        }

        public Profile build() {
            List<GroupSpec> g = groups.isEmpty() ? List.of(defaultGroup()) : groups;
            return new Profile(name, kernelPageSize, hugePageSize, dma32WindowStart, dma32WindowSize, ddwEnabled,
                    pgsizes, dma64WindowAddr, largestBlockTces, windowsSupported, memlockLimitBytes, credentials, eehSupported, g,
                    hugePages, guestRamBytes, firmware, kernel);
        }
    }
}
