package io.jvfio.harness.nested;

import io.jvfio.harness.GuestMachine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The three layers of a nested run.
 * <ul>
 *   <li><b>L0</b>: the host's QEMU, TCG, pSeries with {@code cap-nested-hv=on} (POWER9 or POWER10 only),
 *       an {@code edu} on PHB 0 (and optionally one on a second PHB), {@link #l1Memory} of RAM.</li>
 *   <li><b>L1</b>: {@link #l1Kernel} (64K pages; 4K is the broken setup), KVM-HV with nested, every PCI
 *       device bound to vfio-pci; Debian's QEMU starts L2.</li>
 *   <li><b>L2</b>: the 4K guest under {@code -accel kvm -cpu host} with {@link #l2Devices} as
 *       {@code vfio-pci}; its PHB shaped by {@link #l2PhbGlobals} (dma_win_size, ddw, pgsz, ...).</li>
 * </ul>
 *
 * <p>Every L2 value is written into L1's shell settings, so none may contain whitespace or quotes.
 *
 * @param l1Kernel the kernel L1 runs
 * @param l0Cpu L0's {@code -cpu} for L1 ({@code power9} or {@code power10}: TCG refuses nested HV on power8)
 * @param l1Memory L1's RAM (it holds L2's RAM, the initramfs of both and QEMU)
 * @param l1Smp L1's CPUs
 * @param nestedHv whether L0 offers nested HV ({@code cap-nested-hv=on}); off only to show the failure
 * @param l0Edu whether L0 gives L1 an {@code edu} on PHB 0 ({@code 0000:00:00.0}); off when
 *     {@link #l0ExtraArgs} bring another device
 * @param secondPhb whether L1 gets a second PHB with its own edu ({@code 0001:00:00.0}, IOMMU group 1)
 * @param eduDmaMask the edu devices' DMA mask (full 64 bits reach a window at 0x0800000000000000)
 * @param l0MachineOptions extra {@code -M} options for L0
 * @param l0ExtraArgs extra arguments for L0's QEMU (e.g. other devices for L1)
 * @param l2Devices L1's PCI addresses handed to L2 as {@code -device vfio-pci,host=...}
 * @param l2Memory L2's {@code -m}
 * @param l2Smp L2's {@code -smp}
 * @param l2Cpu L2's {@code -cpu} ({@code host} under KVM)
 * @param l2PhbGlobals {@code -global spapr-pci-host-bridge.KEY=VALUE} for L2's PHBs
 * @param l2MachineOptions extra {@code -M} options for L2 (after pseries,x-vof=on and the cap-* settings)
 * @param l2KernelArgs extra kernel command-line words for L2
 * @param l2ExtraArgs extra arguments for L2's QEMU
 * @param traceEvents QEMU trace event patterns L1's QEMU records (their trace comes back in the result)
 * @param l2Timeout how long L1 lets L2 run before it stops L2's QEMU (a clear "time ran out" verdict)
 * @param timeout the bound on the whole run (L0 is killed after it)
 */
public record NestedMachine(L1Kernel l1Kernel, String l0Cpu, String l1Memory, int l1Smp, boolean nestedHv,
        boolean l0Edu, boolean secondPhb, long eduDmaMask, List<String> l0MachineOptions, List<String> l0ExtraArgs,
        List<String> l2Devices, String l2Memory,
        int l2Smp, String l2Cpu, Map<String, String> l2PhbGlobals, List<String> l2MachineOptions,
        List<String> l2KernelArgs, List<String> l2ExtraArgs, List<String> traceEvents, Duration l2Timeout,
        Duration timeout) {

    /**
     * L2's default DMA window: 16 MiB of 4K TCEs (4096 entries). Each container that L2 closes
     * makes L2's kernel reset the window, and L1 tears the mirrored host window down TCE by TCE
     * (about 0.25 ms per TCE under nested TCG), so this size sets the per-test cost.
     */
    public static final long DEFAULT_DMA_WINDOW = 16L << 20;
    /** The RFC series' own L2 window: 256 MiB (65536 TCEs, about 16 s per teardown here). */
    public static final long RFC_DMA_WINDOW = 256L << 20;
    /** The events that show what QEMU in L1 asked of L1's VFIO SPAPR container and what L2 asked of QEMU. */
    public static final List<String> DEFAULT_TRACE_EVENTS = List.of("vfio_spapr_*", "vfio_prereg_*", "spapr_iommu_ddw_*");
    public static final Duration DEFAULT_L2_TIMEOUT = Duration.ofSeconds(210);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(270);
    private static final Pattern WORD = Pattern.compile("[^\\s'\"\\\\`$]+");

    public NestedMachine {
        Objects.requireNonNull(l1Kernel, "l1Kernel");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(l2Timeout, "l2Timeout");
        l0MachineOptions = List.copyOf(l0MachineOptions);
        l0ExtraArgs = List.copyOf(l0ExtraArgs);
        l2Devices = List.copyOf(l2Devices);
        l2PhbGlobals = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(l2PhbGlobals));
        l2MachineOptions = List.copyOf(l2MachineOptions);
        l2KernelArgs = List.copyOf(l2KernelArgs);
        l2ExtraArgs = List.copyOf(l2ExtraArgs);
        traceEvents = List.copyOf(traceEvents);
        if (l1Smp < 1 || l2Smp < 1) {
            throw new IllegalArgumentException("smp must be at least 1");
        }
        if (l2Devices.isEmpty()) {
            throw new IllegalArgumentException("L2 needs at least one device (the point is VFIO in L1)");
        }
        List<String> words = new ArrayList<>(List.of(l0Cpu, l1Memory, l2Memory, l2Cpu));
        words.addAll(l2Devices);
        words.addAll(l2MachineOptions);
        words.addAll(l2KernelArgs);
        words.addAll(l2ExtraArgs);
        words.addAll(traceEvents);
        l2PhbGlobals.forEach((k, v) -> words.add(k + "=" + v));
        for (String w : words) {
            if (w == null || !WORD.matcher(w).matches()) {
                throw new IllegalArgumentException("nested machine values must be single words without quotes: '" + w + "'");
            }
        }
        if (!l2Timeout.isPositive() || !timeout.isPositive()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** The defaults: 64K L1 on power9 with 4G, L2 with 512M and edu 0000:00:00.0, 16 MiB default window. */
    public static NestedMachine defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** L2's default window size as configured ({@code dma_win_size}), or -1 when QEMU's default (1 GiB) applies. */
    public long dmaWindowSize() {
        String v = l2PhbGlobals.get("dma_win_size");
        return v == null ? -1 : Long.decode(v);
    }

    /** L0: the machine that boots L1 ({@code cap-nested-hv=on}, L1's kernel flavour). */
    public GuestMachine l0Machine() {
        GuestMachine.Builder b = GuestMachine.builder().cpu(l0Cpu).memory(l1Memory).smp(l1Smp).edu(l0Edu)
                .secondPhb(secondPhb).eduDmaMask(eduDmaMask).timeout(timeout).flavour(l1Kernel.flavour())
                .extraArgs(l0ExtraArgs.toArray(String[]::new));
        if (nestedHv) {
            b.machineOption("cap-nested-hv=on");
        }
        l0MachineOptions.forEach(b::machineOption);
        return b.build();
    }

    /** L1's settings for l1-run.sh (shell assignments, sourced with {@code set -a}). */
    public String l1Settings() {
        StringBuilder b = new StringBuilder("# nested run settings (NestedMachine)\n");
        kv(b, "L2_DEVICES", String.join(" ", l2Devices));
        kv(b, "L2_MEM", l2Memory);
        kv(b, "L2_SMP", Integer.toString(l2Smp));
        kv(b, "L2_CPU", l2Cpu);
        kv(b, "L2_MACHINE", String.join(",", l2MachineOptions));
        List<String> globals = new ArrayList<>();
        l2PhbGlobals.forEach((k, v) -> globals.add("spapr-pci-host-bridge." + k + "=" + v));
        kv(b, "L2_GLOBALS", String.join(" ", globals));
        kv(b, "L2_APPEND", String.join(" ", l2KernelArgs));
        kv(b, "L2_EXTRA", String.join(" ", l2ExtraArgs));
        kv(b, "L2_TRACE", String.join(" ", traceEvents));
        kv(b, "L2_TIMEOUT", Long.toString(l2Timeout.toSeconds()));
        return b.toString();
    }

    private static void kv(StringBuilder b, String k, String v) {
        b.append(k).append("='").append(v).append("'\n");
    }

    /** A mutable builder; every setter returns it. */
    public static final class Builder {
        private L1Kernel l1Kernel = L1Kernel.K64;
        private String l0Cpu = "power9";
        private String l1Memory = "4G";
        private int l1Smp = 1;
        private boolean nestedHv = true;
        private boolean l0Edu = true;
        private boolean secondPhb;
        private long eduDmaMask = GuestMachine.FULL_DMA_MASK;
        private final List<String> l0MachineOptions = new ArrayList<>();
        private final List<String> l0ExtraArgs = new ArrayList<>();
        private final List<String> l2Devices = new ArrayList<>(List.of("0000:00:00.0"));
        private String l2Memory = "512M";
        private int l2Smp = 1;
        private String l2Cpu = "host";
        private final Map<String, String> l2PhbGlobals = new LinkedHashMap<>(Map.of("dma_win_size", hex(DEFAULT_DMA_WINDOW)));
        private final List<String> l2MachineOptions = new ArrayList<>();
        private final List<String> l2KernelArgs = new ArrayList<>();
        private final List<String> l2ExtraArgs = new ArrayList<>();
        private final List<String> traceEvents = new ArrayList<>(DEFAULT_TRACE_EVENTS);
        private Duration l2Timeout = DEFAULT_L2_TIMEOUT;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Builder() {}

        public Builder l1Kernel(L1Kernel v) {
            l1Kernel = v;
            return this;
        }

        /** L0's CPU model for L1: power9 (default) or power10. */
        public Builder l0Cpu(String v) {
            l0Cpu = v;
            return this;
        }

        public Builder l1Memory(String v) {
            l1Memory = v;
            return this;
        }

        public Builder l1Smp(int v) {
            l1Smp = v;
            return this;
        }

        /** Whether L0 offers nested HV; false gives L1 no /dev/kvm (the failure path). */
        public Builder nestedHv(boolean v) {
            nestedHv = v;
            return this;
        }

        /** Whether L0 gives L1 the edu on PHB 0 (default true). */
        public Builder l0Edu(boolean v) {
            l0Edu = v;
            return this;
        }

        /** Extra arguments for L0's QEMU, e.g. {@code "-device", "vfio-pci,host=..."} on a real KVM host. */
        public Builder l0ExtraArgs(String... v) {
            l0ExtraArgs.addAll(List.of(v));
            return this;
        }

        /** A second PHB in L1 with its own edu: 0001:00:00.0, IOMMU group 1 (pass it with {@link #l2Devices}). */
        public Builder secondPhb(boolean v) {
            secondPhb = v;
            return this;
        }

        public Builder eduDmaMask(long v) {
            eduDmaMask = v;
            return this;
        }

        public Builder l0MachineOption(String v) {
            l0MachineOptions.add(v);
            return this;
        }

        /**
         * The L1 PCI addresses L2 gets (replaces the default 0000:00:00.0), each {@code ADDR[,vfio-pci
         * options]}: {@code "0001:00:00.0,bus=phb1.0"} puts it on an L2 PHB added with
         * {@link #l2ExtraArgs}. One IOMMU group of L1 per run: with two, QEMU in L1 fails to create
         * the second group's window (docs/nested-kvm.md, "Two IOMMU groups").
         */
        public Builder l2Devices(String... hostAddresses) {
            l2Devices.clear();
            l2Devices.addAll(List.of(hostAddresses));
            return this;
        }

        public Builder l2Memory(String v) {
            l2Memory = v;
            return this;
        }

        public Builder l2Smp(int v) {
            l2Smp = v;
            return this;
        }

        public Builder l2Cpu(String v) {
            l2Cpu = v;
            return this;
        }

        /** {@code -global spapr-pci-host-bridge.KEY=VALUE} for L2 (dma_win_size, dma_win_addr, dma64_win_addr, pgsz, ddw). */
        public Builder l2PhbGlobal(String key, String value) {
            l2PhbGlobals.put(key, value);
            return this;
        }

        /** Removes an L2 PHB property (e.g. dma_win_size, to get QEMU's 1 GiB default). */
        public Builder clearL2PhbGlobal(String key) {
            l2PhbGlobals.remove(key);
            return this;
        }

        /** L2's default window size ({@code dma_win_size}); see {@link #DEFAULT_DMA_WINDOW} for its cost. */
        public Builder dmaWindowSize(long bytes) {
            return l2PhbGlobal("dma_win_size", hex(bytes));
        }

        /** Whether L2's PHBs offer dynamic DMA windows ({@code ddw}). */
        public Builder ddw(boolean on) {
            return l2PhbGlobal("ddw", on ? "on" : "off");
        }

        /** The TCE page sizes L2's PHBs offer, a mask ({@code pgsz}). */
        public Builder l2PageSizes(long mask) {
            return l2PhbGlobal("pgsz", hex(mask));
        }

        public Builder l2MachineOption(String v) {
            l2MachineOptions.add(v);
            return this;
        }

        public Builder l2KernelArg(String v) {
            l2KernelArgs.add(v);
            return this;
        }

        public Builder l2ExtraArgs(String... v) {
            l2ExtraArgs.addAll(List.of(v));
            return this;
        }

        /** Replaces the trace event patterns (default {@link #DEFAULT_TRACE_EVENTS}). */
        public Builder traceEvents(String... patterns) {
            traceEvents.clear();
            traceEvents.addAll(List.of(patterns));
            return this;
        }

        /** How long L1 lets L2 run; keep it below {@link #timeout} so that L1 can still report. */
        public Builder l2Timeout(Duration v) {
            l2Timeout = v;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public NestedMachine build() {
            return new NestedMachine(l1Kernel, l0Cpu, l1Memory, l1Smp, nestedHv, l0Edu, secondPhb, eduDmaMask,
                    l0MachineOptions, l0ExtraArgs, l2Devices, l2Memory, l2Smp, l2Cpu, l2PhbGlobals, l2MachineOptions,
                    l2KernelArgs, l2ExtraArgs, traceEvents, l2Timeout, timeout);
        }

        private static String hex(long v) {
            return "0x" + Long.toHexString(v);
        }
    }
}
