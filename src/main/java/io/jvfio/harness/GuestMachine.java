package io.jvfio.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What QEMU emulates for a guest run: a pSeries machine under TCG with the devices jvfio tests
 * drive. The defaults are the measured fast path (Virtual Open Firmware instead of SLOF, the TCG
 * mitigation caps off, power9, 2G, one CPU, one {@code edu} with a 64-bit DMA mask).
 *
 * <pre>{@code
 * GuestMachine m = GuestMachine.builder().secondPhb(true).dmaWindowSize(0x8000_0000L)
 *         .timeout(Duration.ofMinutes(5)).build();
 * }</pre>
 *
 * @param qemuBinary the system emulator, {@code qemu-system-ppc64} (from PATH) by default
 * @param cpu the {@code -cpu} model
 * @param memory the {@code -m} size, e.g. {@code 2G}
 * @param smp the number of CPUs
 * @param vof QEMU's Virtual Open Firmware ({@code x-vof=on}, /init 6 s sooner) instead of SLOF. SLOF also
 *     configures PCI devices (e.g. sets SERR in the command register), VOF leaves them as reset
 * @param machineOptions {@code -M pseries,...} options after the fixed ones (e.g. {@code cap-nested-hv=on})
 * @param edu whether PHB 0 carries an {@code edu} (group 0, {@code 0000:00:00.0})
 * @param eduDmaMask the {@code dma_mask} of every edu (QEMU masks DMA addresses to 28 bits by default,
 *     which cannot reach a window at {@code 0x0800000000000000})
 * @param secondPhb whether a second PHB ({@code index=1}) carries its own edu: a second IOMMU group,
 *     {@code 0001:00:00.0}
 * @param phbGlobals {@code -global spapr-pci-host-bridge.KEY=VALUE} settings (every PHB): {@code
 *     dma_win_size}, {@code dma_win_addr}, {@code dma64_win_addr}, {@code pgsz}, {@code ddw}
 * @param kernelArgs kernel command-line words appended to {@link #BASE_KERNEL_ARGS}
 * @param extraArgs raw QEMU arguments appended last
 * @param timeout the bound on the whole run; the run is killed when it passes
 * @param flavour which kernel and base initramfs to boot
 */
public record GuestMachine(String qemuBinary, String cpu, String memory, int smp, boolean vof,
        List<String> machineOptions, boolean edu, long eduDmaMask, boolean secondPhb, Map<String, String> phbGlobals, List<String> kernelArgs,
        List<String> extraArgs, Duration timeout, GuestImages.Flavour flavour) {

    /** The fixed {@code -M} options: pSeries, the capabilities TCG lacks off ({@code x-vof=on} follows with {@link #vof}). */
    public static final List<String> BASE_MACHINE_OPTIONS =
            List.of("pseries", "cap-cfpc=broken", "cap-sbbc=broken", "cap-ibs=broken", "cap-ccf-assist=off");
    /** The fixed kernel command line: the console on hvc0 (the serial port QEMU puts on stdio), quiet. */
    public static final List<String> BASE_KERNEL_ARGS = List.of("console=hvc0", "quiet", "loglevel=4");
    /** The edu device's full 64-bit DMA mask. */
    public static final long FULL_DMA_MASK = -1L;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    /** The kernel command-line word that makes /init start the DLPAR userspace (qemu-images/init). */
    public static final String DLPAR_KERNEL_ARG = "jvfio.dlpar";

    public GuestMachine {
        Objects.requireNonNull(qemuBinary, "qemuBinary");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(flavour, "flavour");
        if (smp < 1) {
            throw new IllegalArgumentException("smp must be at least 1: " + smp);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        machineOptions = List.copyOf(machineOptions);
        phbGlobals = Map.copyOf(new LinkedHashMap<>(phbGlobals));
        kernelArgs = List.copyOf(kernelArgs);
        extraArgs = List.copyOf(extraArgs);
    }

    /** The defaults: power9, 2G, smp 1, one edu on PHB 0, 10 minutes. */
    public static GuestMachine defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.qemuBinary = qemuBinary;
        b.cpu = cpu;
        b.memory = memory;
        b.smp = smp;
        b.vof = vof;
        b.machineOptions.addAll(machineOptions);
        b.edu = edu;
        b.eduDmaMask = eduDmaMask;
        b.secondPhb = secondPhb;
        b.phbGlobals.putAll(new java.util.TreeMap<>(phbGlobals));
        b.kernelArgs.addAll(kernelArgs);
        b.extraArgs.addAll(extraArgs);
        b.timeout = timeout;
        b.flavour = flavour;
        return b;
    }

    /** The kernel command line. */
    public String kernelCommandLine() {
        List<String> all = new ArrayList<>(BASE_KERNEL_ARGS);
        all.addAll(kernelArgs);
        return String.join(" ", all);
    }

    /**
     * The QEMU command line (binary first) for this machine.
     *
     * @param kernel the vmlinux path as QEMU will see it
     * @param initrd the initramfs path as QEMU will see it (the base image plus the run's overlay)
     * @param name the {@code -name} (a later sweep finds leftovers by it), or null
     * @param pidfile the {@code -pidfile} path as QEMU will see it, or null
     */
    public List<String> qemuCommand(String kernel, String initrd, String name, String pidfile) {
        List<String> a = new ArrayList<>();
        a.add(qemuBinary);
        if (name != null) {
            a.addAll(List.of("-name", name));
        }
        List<String> m = new ArrayList<>(BASE_MACHINE_OPTIONS.subList(0, 1));
        if (vof) {
            m.add("x-vof=on");
        }
        m.addAll(BASE_MACHINE_OPTIONS.subList(1, BASE_MACHINE_OPTIONS.size()));
        m.addAll(machineOptions);
        a.addAll(List.of("-M", String.join(",", m), "-cpu", cpu, "-smp", Integer.toString(smp), "-accel", "tcg",
                "-m", memory, "-nographic", "-nodefaults", "-serial", "mon:stdio", "-no-reboot",
                "-kernel", kernel, "-initrd", initrd, "-append", kernelCommandLine()));
        String mask = "0x" + Long.toHexString(eduDmaMask);
        if (edu) {
            a.addAll(List.of("-device", "edu,dma_mask=" + mask));
        }
        if (secondPhb) {
            a.addAll(List.of("-device", "spapr-pci-host-bridge,index=1,id=phb1",
                    "-device", "edu,bus=phb1.0,dma_mask=" + mask));
        }
        phbGlobals.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                a.addAll(List.of("-global", "spapr-pci-host-bridge." + e.getKey() + "=" + e.getValue())));
        if (pidfile != null) {
            a.addAll(List.of("-pidfile", pidfile));
        }
        a.addAll(extraArgs);
        return a;
    }

    /** A mutable builder; every setter returns it. */
    public static final class Builder {
        private String qemuBinary = System.getProperty("jvfio.qemu", "qemu-system-ppc64");
        private String cpu = "power9";
        private String memory = "2G";
        private int smp = 1;
        private boolean vof = true;
        private final List<String> machineOptions = new ArrayList<>();
        private boolean edu = true;
        private long eduDmaMask = FULL_DMA_MASK;
        private boolean secondPhb;
        private final Map<String, String> phbGlobals = new LinkedHashMap<>();
        private final List<String> kernelArgs = new ArrayList<>();
        private final List<String> extraArgs = new ArrayList<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private GuestImages.Flavour flavour = GuestImages.Flavour.K4;

        private Builder() {}

        public Builder qemuBinary(String v) {
            qemuBinary = v;
            return this;
        }

        public Builder cpu(String v) {
            cpu = v;
            return this;
        }

        public Builder memory(String v) {
            memory = v;
            return this;
        }

        public Builder smp(int v) {
            smp = v;
            return this;
        }

        /** Virtual Open Firmware (default) or SLOF ({@code false}: slower, but configures PCI like real firmware). */
        public Builder vof(boolean v) {
            vof = v;
            return this;
        }

        /** An extra {@code -M} option, e.g. {@code cap-hpt-max-page-size=16M} or {@code cap-nested-hv=on}. */
        public Builder machineOption(String v) {
            machineOptions.add(v);
            return this;
        }

        public Builder edu(boolean v) {
            edu = v;
            return this;
        }

        public Builder eduDmaMask(long v) {
            eduDmaMask = v;
            return this;
        }

        /** A second PHB with its own edu: IOMMU group 1, {@code 0001:00:00.0}. */
        public Builder secondPhb(boolean v) {
            secondPhb = v;
            return this;
        }

        /** {@code -global spapr-pci-host-bridge.KEY=VALUE}. */
        public Builder phbGlobal(String key, String value) {
            phbGlobals.put(key, value);
            return this;
        }

        /** The default (32-bit) window's size, {@code dma_win_size}. */
        public Builder dmaWindowSize(long bytes) {
            return phbGlobal("dma_win_size", hex(bytes));
        }

        /** The default window's bus address, {@code dma_win_addr}. */
        public Builder dmaWindowAddr(long addr) {
            return phbGlobal("dma_win_addr", hex(addr));
        }

        /** Where a created (64-bit) window goes, {@code dma64_win_addr}. */
        public Builder dma64WindowAddr(long addr) {
            return phbGlobal("dma64_win_addr", hex(addr));
        }

        /** The TCE page sizes the PHB offers, a mask of sizes ({@code pgsz}; e.g. 0x1011000 = 4K|64K|16M). */
        public Builder pageSizes(long mask) {
            return phbGlobal("pgsz", hex(mask));
        }

        /** Dynamic DMA windows on or off ({@code ddw}). */
        public Builder ddw(boolean on) {
            return phbGlobal("ddw", on ? "on" : "off");
        }

        /**
         * An empty PHB ({@code spapr-pci-host-bridge,index=N,id=phbN}) for DLPAR: the guest's test hot-adds
         * a device on bus {@code phbN.0} (QMP {@code device_add}, see {@link QmpHotplug}), which appears as
         * {@code 000N:00:00.0} in IOMMU group N. Also tells /init to start the guest's DLPAR userspace
         * ({@code jvfio.dlpar}: rpaphp, rpadlpar_io, rtas_errd, which runs drmgr).
         */
        public Builder hotplugPhb(int index) {
            if (index < 1) {
                throw new IllegalArgumentException("hot-plug PHB index must be at least 1 (PHB 0 is the default one): " + index);
            }
            extraArgs("-device", "spapr-pci-host-bridge,index=" + index + ",id=phb" + index);
            return kernelArg(DLPAR_KERNEL_ARG);
        }

        /** Kernel command-line words, e.g. {@code disable_radix}. */
        public Builder kernelArg(String v) {
            kernelArgs.add(v);
            return this;
        }

        public Builder extraArgs(String... v) {
            extraArgs.addAll(List.of(v));
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public Builder flavour(GuestImages.Flavour v) {
            flavour = v;
            return this;
        }

        public GuestMachine build() {
            return new GuestMachine(qemuBinary, cpu, memory, smp, vof, machineOptions, edu, eduDmaMask, secondPhb,
                    phbGlobals, kernelArgs, extraArgs, timeout, flavour);
        }

        private static String hex(long v) {
            return "0x" + Long.toHexString(v);
        }
    }
}
