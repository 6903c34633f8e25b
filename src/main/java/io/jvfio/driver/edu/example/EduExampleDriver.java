package io.jvfio.driver.edu.example;

import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.EventFd;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.Plan;
import io.jvfio.toolkit.SessionOptions;
import io.jvfio.toolkit.VfioHost;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A complete userspace driver for QEMU's {@code edu} device, written on the toolkit: the example to
 * copy. It never mentions TCE levels, window addresses or the SR-IOV single-window rule:
 *
 * <ol>
 *   <li>{@link DmaSession#open} plans and sets up the container and its window for this platform;</li>
 *   <li>the device is opened through the session and taken over by {@link EduDevice};</li>
 *   <li>two buffers of {@link DmaMemory} are allocated and mapped: the source read by the device
 *       ({@link DmaDirection#TO_DEVICE}), the destination written by it ({@link DmaDirection#FROM_DEVICE});
 *       the session returns the IOVAs the device is given;</li>
 *   <li>completion is signalled by MSI through an eventfd where the platform offers it (vfio-pci in the
 *       guest, and the emulator), else the driver polls the DMA command register;</li>
 *   <li>{@link #close()} lets the session tear down in order: device, mappings, registrations, memory,
 *       window, group, container.</li>
 * </ol>
 *
 * <pre>{@code
 * try (Vfio vfio = Vfio.kernel();                       // or VfioHost.emulated("qemu-pseries")
 *      EduExampleDriver edu = EduExampleDriver.open(vfio, 0)) {
 *     byte[] back = edu.roundTrip("hello".getBytes());   // RAM -> edu -> RAM by DMA
 * }
 * }</pre>
 */
public final class EduExampleDriver implements AutoCloseable {
    /** How DMA completion is detected. */
    public enum Completion {
        /** Poll the DMA command register until its start bit clears. */
        POLLING,
        /** Wait on an eventfd the device's MSI (or INTx) signals. */
        INTERRUPTS,
        /** Interrupts when the platform offers them, else polling. */
        AUTO
    }

    private final DmaSession session;
    private final EduDevice edu;
    private final DmaMemory source;
    private final DmaMemory destination;
    private final long sourceIova;
    private final long destinationIova;
    private final EventFd eventfd;
    private final Completion completion;
    private final String completionNote;

    private EduExampleDriver(DmaSession session, EduDevice edu, DmaMemory source, DmaMemory destination,
            long sourceIova, long destinationIova, EventFd eventfd, Completion completion, String completionNote) {
        this.session = session;
        this.edu = edu;
        this.source = source;
        this.destination = destination;
        this.sourceIova = sourceIova;
        this.destinationIova = destinationIova;
        this.eventfd = eventfd;
        this.completion = completion;
        this.completionNote = completionNote;
    }

    /** The first device of {@code group}, interrupts where possible, the default session options. */
    public static EduExampleDriver open(Vfio vfio, int group) throws VfioException {
        return open(vfio, group, VfioHost.firstDevice(vfio, group), Completion.AUTO, SessionOptions.defaults());
    }

    /**
     * Opens the session on {@code group}, takes over the edu device at {@code address}, allocates and maps
     * its two DMA buffers, and sets up completion. On failure everything opened so far is closed.
     *
     * @throws VfioException when {@code completion} is {@link Completion#INTERRUPTS} and the platform
     *     cannot route the device's interrupt to an eventfd, or on any VFIO failure
     */
    public static EduExampleDriver open(Vfio vfio, int group, String address, Completion completion,
            SessionOptions options) throws VfioException {
        DmaSession session = DmaSession.open(vfio, group, options);
        EduDevice edu = null;
        EventFd eventfd = null;
        try {
            Device device = session.openDevice(address);
            edu = EduDevice.open(device);
            DmaMemory src = session.allocate(EduDevice.MAX_TRANSFER);
            DmaMemory dst = session.allocate(EduDevice.MAX_TRANSFER);
            long srcIova = session.map(src, DmaDirection.TO_DEVICE);
            long dstIova = session.map(dst, DmaDirection.FROM_DEVICE);
            Completion used = Completion.POLLING;
            String note = "polling the DMA command register (asked for)";
            if (completion != Completion.POLLING) {
                int msi = device.irqInfo(VfioUapi.VFIO_PCI_MSI_IRQ_INDEX).count();
                int intx = device.irqInfo(VfioUapi.VFIO_PCI_INTX_IRQ_INDEX).count();
                if (msi > 0) {
                    eventfd = vfio.eventfd();
                    try {
                        edu.useInterrupts(eventfd);
                        used = Completion.INTERRUPTS;
                        note = "MSI through an eventfd (" + msi + " vector)";
                    } catch (VfioException e) {
                        eventfd.close();
                        eventfd = null;
                        if (completion == Completion.INTERRUPTS) {
                            throw e;
                        }
                        note = "polling: routing MSI to an eventfd failed (" + e.errnoName() + ")";
                    }
                } else if (completion == Completion.INTERRUPTS) {
                    throw new VfioGuardException("edu interrupts on " + address, 0, "the device offers no MSI vector ("
                            + intx + " INTx): INTx needs unmasking after every interrupt, which this example does not "
                            + "do; use POLLING");
                } else {
                    note = "polling: the device offers no MSI vector";
                }
            }
            return new EduExampleDriver(session, edu, src, dst, srcIova, dstIova, eventfd, used, note);
        } catch (VfioException | RuntimeException e) {
            if (edu != null) {
                edu.close();
            }
            try {
                session.close();
            } catch (RuntimeException f) {
                e.addSuppressed(f);
            }
            if (eventfd != null) {
                eventfd.close();
            }
            throw e;
        }
    }

    /** The identification register: {@link EduDevice#ID}. */
    public int id() {
        return edu.id();
    }

    /** The liveness check: the device answers the bitwise NOT. */
    public int liveness(int value) {
        return edu.liveness(value);
    }

    /** n! computed by the device. */
    public int factorial(int n) throws VfioException {
        return edu.factorial(n);
    }

    /**
     * Copies {@code data} (at most {@link EduDevice#MAX_TRANSFER} bytes) to the device's buffer by DMA
     * from the source buffer, then back by DMA into the cleared destination buffer, and returns what
     * arrived there.
     */
    public byte[] roundTrip(byte[] data) throws VfioException {
        if (data.length == 0 || data.length > EduDevice.MAX_TRANSFER) {
            throw new IllegalArgumentException("1 to " + EduDevice.MAX_TRANSFER + " bytes per transfer, not "
                    + data.length);
        }
        MemorySegment src = source.segment();
        MemorySegment dst = destination.segment();
        MemorySegment.copy(MemorySegment.ofArray(data), 0, src, 0, data.length);
        dst.fill((byte) 0);
        edu.dmaToDevice(sourceIova, 0, data.length);
        edu.dmaFromDevice(0, destinationIova, data.length);
        return dst.asSlice(0, data.length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** The bus address of the source buffer (device reads). */
    public long sourceIova() {
        return sourceIova;
    }

    /** The bus address of the destination buffer (device writes). */
    public long destinationIova() {
        return destinationIova;
    }

    /** {@link Completion#POLLING} or {@link Completion#INTERRUPTS}: what is in use. */
    public Completion completion() {
        return completion;
    }

    /** Why that completion mode is in use. */
    public String completionNote() {
        return completionNote;
    }

    /** The session's executed plan: what was set up on this platform, and why. */
    public Plan plan() {
        return session.plan();
    }

    public DmaSession session() {
        return session;
    }

    public EduDevice edu() {
        return edu;
    }

    /** Unmaps BAR0, closes the session (device, mappings, memory, window, group, container), then the eventfd. */
    @Override
    public void close() {
        edu.close();
        try {
            session.close();
        } finally {
            if (eventfd != null) {
                eventfd.close();
            }
        }
    }

    /**
     * Runs the example: {@code [--emulated PROFILE] [--group N] [--device ADDR] [--polling|--interrupts]}.
     * Uses the kernel when {@code /dev/vfio/N} exists, else the emulator ({@code qemu-pseries} unless
     * {@code --emulated} names another profile). Prints the plan and the results, ending in
     * {@code edu example: OK}; exit status 1 on failure, 2 on bad arguments.
     */
    public static void main(String[] args) {
        String profile = null;
        int group = 0;
        String address = null;
        Completion completion = Completion.AUTO;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--emulated" -> profile = args[++i];
                    case "--group" -> group = Integer.parseInt(args[++i]);
                    case "--device" -> address = args[++i];
                    case "--polling" -> completion = Completion.POLLING;
                    case "--interrupts" -> completion = Completion.INTERRUPTS;
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            System.err.println("edu example: " + e.getMessage());
            System.err.println("usage: EduExampleDriver [--emulated PROFILE] [--group N] [--device ADDR] "
                    + "[--polling|--interrupts]");
            System.exit(2);
        }
        boolean kernel = profile == null && VfioHost.kernelHasGroup(group);
        if (profile == null && !kernel) {
            // Never a silent fallback: say which platform runs.
            System.err.println("edu example: no VFIO group " + group + " on this host: running on the emulated "
                    + VfioHost.DEFAULT_PROFILE + " platform (--emulated PROFILE chooses one)");
        }
        try (Vfio vfio = kernel ? Vfio.kernel() : VfioHost.emulated(profile == null ? VfioHost.DEFAULT_PROFILE : profile)) {
            run(vfio, group, address == null ? VfioHost.firstDevice(vfio, group) : address, completion, System.out);
        } catch (VfioException | RuntimeException e) {
            System.err.println("edu example: FAILED: " + e.getMessage());
            System.exit(1);
        }
    }

    /** The example's flow, printed on {@code out}. */
    public static void run(Vfio vfio, int group, String address, Completion completion, PrintStream out)
            throws VfioException {
        out.println("edu example: backend " + vfio.backend().description() + ", group " + group + ", device " + address);
        try (EduExampleDriver d = open(vfio, group, address, completion, SessionOptions.defaults())) {
            out.print(d.plan().toText());
            out.printf("id 0x%08x, liveness(0x12345678) = 0x%08x, 10! = %d%n", d.id(), d.liveness(0x12345678),
                    d.factorial(10));
            out.printf("completion: %s (%s)%n", d.completion(), d.completionNote());
            byte[] data = new byte[4000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7 + 3);
            }
            byte[] back = d.roundTrip(data);
            if (!java.util.Arrays.equals(data, back)) {
                throw new VfioGuardException("edu example round trip", 0, "the bytes that came back differ");
            }
            out.printf("DMA RAM -> edu -> RAM: %d bytes verified (source IOVA 0x%x, destination IOVA 0x%x)%n",
                    data.length, d.sourceIova(), d.destinationIova());
        }
        out.println("edu example: OK");
    }
}
