package io.jvfio.demo;

import io.jvfio.Container;
import io.jvfio.DdwInfo;
import io.jvfio.Device;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Sizes;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.toolkit.Plan;
import io.jvfio.toolkit.WindowPlanner;
import io.jvfio.driver.edu.EduDevice;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A complete userspace-driver flow on an edu device: container, window choice, registered and
 * mapped memory, DMA both ways, byte-for-byte verification, a negative control, teardown. Prints a
 * readable report ending in {@code demo: OK}.
 */
public final class DemoFlow {
    private static final int LENGTH = 4000;
    private static final long BUFFER_SIZE = 4L << 20;

    private final Vfio vfio;
    private final int groupNumber;
    private final String deviceAddress;
    private final PrintWriter out;

    /**
     * A flow on one device, not yet run.
     *
     * @param vfio the platform, kernel or emulated
     * @param groupNumber the IOMMU group holding the edu device
     * @param deviceAddress the edu device's PCI address
     * @param out where the report goes
     */
    public DemoFlow(Vfio vfio, int groupNumber, String deviceAddress, PrintWriter out) {
        this.vfio = vfio;
        this.groupNumber = groupNumber;
        this.deviceAddress = deviceAddress;
        this.out = out;
    }

    private void step(String fmt, Object... args) {
        out.println("  " + String.format(fmt, args));
    }

    /**
     * Runs the flow; throws on the first failure, with the failing operation in the message.
     *
     * @throws VfioGuardException if the platform has no safe DMA window (nothing was mapped), or the DMA
     *     did not verify
     * @throws VfioException if any VFIO operation failed
     */
    public void run() throws VfioException {
        out.println("demo: backend " + vfio.backend().description());
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(groupNumber)) {
            step("container: API version %d, SPAPR v2 %s", c.apiVersion(),
                    c.supports(IommuType.SPAPR_TCE_V2) ? "supported" : "not supported");
            g.attach(c);
            step("group %d attached (viable=%s)", groupNumber, g.status().viable());
            c.setIommu(IommuType.SPAPR_TCE_V2);
            TceInfo info = c.tceInfo();
            step("default window [0x%x, 0x%x)%s", info.dma32WindowStart(),
                    info.dma32WindowStart() + info.dma32WindowSize(),
                    info.ddw().map(d -> String.format(", DDW: pgsizes 0x%x, %s windows, %d level(s)",
                            d.pgsizes(), Integer.toUnsignedString(d.maxDynamicWindows()), d.levels())).orElse(", no DDW"));
            refuseUnsafePlatform(info);
            try (Device dev = g.openDevice(deviceAddress)) {
                EduDevice edu = EduDevice.open(dev);
                step("device %s: edu id 0x%08x, PCI command 0x%04x, liveness(0x12345678) = 0x%08x, 10! = %d",
                        deviceAddress, edu.id(), edu.pciCommand(), edu.liveness(0x12345678), edu.factorial(10));
                try (DmaBuffer buf = allocate(info)) {
                    c.registerMemory(buf.segment());
                    DmaWindow w = chooseWindow(c, info, buf);
                    step("window: %s", w);
                    c.map(w.start(), buf.segment(), DmaDirection.BIDIRECTIONAL);
                    step("mapped %s of %s memory at IOVA 0x%x", Sizes.human(buf.size()),
                            buf.hugetlb() ? "hugetlb" : "anonymous", w.start());
                    roundTrip(c, edu, buf, w);
                    c.unmap(w.start(), buf.size());
                    if (!w.isDefault()) {
                        c.removeWindow(w.start());
                        step("window removed");
                    }
                    c.unregisterMemory(buf.segment());
                    step("memory unmapped and unregistered");
                } finally {
                    edu.close();
                }
            }
        }
        out.println("demo: OK");
        out.flush();
    }

    /**
     * The project's safety rules first: where the planner (as {@code plan}, {@code probe} and
     * {@code DmaSession} do) finds no safe window, the demo stops before any MAP or CREATE. On a PE
     * without DDW the first MAP would put it on the failed-DDW list until reboot.
     */
    private void refuseUnsafePlatform(TceInfo info) throws VfioException {
        Plan plan = new WindowPlanner().plan(info, IommuType.SPAPR_TCE_V2, BUFFER_SIZE, vfio.backend().pageSize());
        if (!plan.feasible()) {
            throw new VfioGuardException("choosing a DMA window", 0,
                    plan.problem().orElseThrow() + " (nothing was mapped; 'jvfio plan --memory 4M' explains it)");
        }
    }

    private DmaBuffer allocate(TceInfo info) throws VfioException {
        boolean hugeWindow = info.ddw().map(d -> d.supportsPageShift(21)).orElse(false);
        if (hugeWindow) {
            try {
                return vfio.allocate(BUFFER_SIZE, true);
            } catch (VfioException e) {
                step("no huge pages (%s): using 4K pages", e.errnoName());
            }
        }
        return vfio.allocate(BUFFER_SIZE, false);
    }

    /** A 64-bit window with the buffer's page size when the platform has DDW, else the default window. */
    private DmaWindow chooseWindow(Container c, TceInfo info, DmaBuffer buf) throws VfioException {
        DdwInfo ddw = info.ddw().orElse(null);
        int shift = Long.numberOfTrailingZeros(buf.pageSize());
        if (ddw != null && ddw.supportsPageShift(shift) && ddw.maxDynamicWindows() >= 2) {
            // Small windows: REMOVE clears every TCE (about 1.8 us each in a TCG guest).
            return c.createWindow(shift, shift >= 21 ? 1L << 30 : 64L << 20, 1);
        }
        return c.windows().get(0);
    }

    private void roundTrip(Container c, EduDevice edu, DmaBuffer buf, DmaWindow w) throws VfioException {
        MemorySegment mem = buf.segment();
        long half = buf.size() / 2;
        for (int i = 0; i < LENGTH; i++) {
            mem.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 3));
        }
        mem.asSlice(half, LENGTH).fill((byte) 0);
        edu.dmaToDevice(w.start(), 0, LENGTH);
        edu.dmaFromDevice(0, w.start() + half, LENGTH);
        long diff = mem.asSlice(0, LENGTH).mismatch(mem.asSlice(half, LENGTH));
        if (diff != -1) {
            throw new VfioGuardException("demo verify", 0, "byte " + diff + " differs after the DMA round trip");
        }
        step("DMA RAM -> edu -> RAM through the window: %d bytes verified", LENGTH);

        // Negative control: the device writes to an IOVA that is no longer mapped; memory must not change.
        long pageSize = w.pageSize();
        long target = w.start() + half - (half % pageSize);
        c.unmap(target, pageSize);
        mem.asSlice(target - w.start(), LENGTH).fill((byte) 0x5a);
        edu.dmaFromDevice(0, target, LENGTH);
        long changed = 0;
        for (int i = 0; i < LENGTH; i++) {
            if (mem.get(ValueLayout.JAVA_BYTE, target - w.start() + i) != 0x5a) {
                changed++;
            }
        }
        if (changed != 0) {
            throw new VfioGuardException("demo negative control", 0,
                    changed + " bytes changed by a DMA to an unmapped IOVA");
        }
        step("negative control: DMA to the unmapped IOVA 0x%x changed 0 bytes", target);
        c.map(target, buf.address() + (target - w.start()), pageSize, DmaDirection.BIDIRECTIONAL);
    }
}
