package io.jvfio.toolkit;

import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.ReleaseRequests;
import io.jvfio.Sizes;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * A container set up for one driver: the {@link WindowPlanner}'s plan executed, an {@link IovaAllocator}
 * over the resulting window, and {@link DmaMemory} mapped at IOVAs the session chooses.
 *
 * <pre>{@code
 * try (Vfio vfio = Vfio.kernel();
 *      DmaSession s = DmaSession.open(vfio, 0);
 *      Device dev = s.openDevice("0000:00:00.0")) {
 *     DmaMemory buf = s.allocate(64 << 10);
 *     long iova = s.map(buf);            // the address the device must use
 *     ...
 * }                                      // devices, mappings, registrations, memory, window, group, container
 * }</pre>
 *
 * <p>{@link #open} attaches the group, sets SPAPR v2 (v1 when the platform refuses v2), asks GET_INFO,
 * plans for {@link SessionOptions#budget()} bytes, and executes the plan: ENABLE (v1), or REMOVE the
 * default window and CREATE the planned one (v2), using the start CREATE returns. {@link #plan()} says
 * what was done and why.
 *
 * <p>{@link #close()} tears down in order: the devices opened through the session (no DMA after
 * this), every mapping (UNMAP), every registration (UNREGISTER), the memory the session allocated,
 * the created window (REMOVE, which clears all its TCEs), v1 DISABLE, then the group and the container
 * if the session opened them.
 */
public final class DmaSession implements AutoCloseable {
    private final Vfio vfio;
    private final Container container;
    private final Group group;
    private final boolean owns;
    private final SessionOptions options;
    private final Plan plan;
    private final DmaWindow window;
    private final boolean createdWindow;
    private final boolean enabledV1;
    private final IovaAllocator iovas;
    /** The kept default window's allocator, when the plan keeps it next to a created window. */
    private final IovaAllocator iovas32;
    private final DmaWindow window32;
    private final Set<DmaMemory> mapped = new LinkedHashSet<>();
    private final List<DmaMemory> owned = new ArrayList<>();
    private final List<Device> devices = new ArrayList<>();
    private boolean closed;

    private DmaSession(Vfio vfio, Container container, Group group, boolean owns, SessionOptions options, Plan plan,
            DmaWindow window, DmaWindow window32, boolean createdWindow, boolean enabledV1) {
        this.vfio = vfio;
        this.container = container;
        this.group = group;
        this.owns = owns;
        this.options = options;
        this.plan = plan;
        this.window = window;
        this.createdWindow = createdWindow;
        this.enabledV1 = enabledV1;
        this.iovas = new IovaAllocator(window, container::unmap);
        this.window32 = window32;
        this.iovas32 = window32 == null ? null : new IovaAllocator(window32, container::unmap);
    }

    /** {@link #open(Vfio, int, SessionOptions)} with {@link SessionOptions#defaults()}. */
    public static DmaSession open(Vfio vfio, int groupNumber) throws VfioException {
        return open(vfio, groupNumber, SessionOptions.defaults());
    }

    /**
     * Opens a container and group {@code groupNumber}, attaches it, and sets up DMA for
     * {@code options.budget()} bytes as planned. On failure everything opened so far is closed.
     *
     * @throws VfioGuardException when the plan is not feasible (the message holds the plan)
     */
    public static DmaSession open(Vfio vfio, int groupNumber, SessionOptions options) throws VfioException {
        Container c = vfio.openContainer();
        Group g = null;
        try {
            g = vfio.openGroup(groupNumber);
            if (!g.status().viable()) {
                throw new VfioGuardException("open DMA session on group " + groupNumber, 0,
                        "the group is not viable: bind every device of the group to vfio-pci "
                                + "(see /sys/kernel/iommu_groups/" + groupNumber + "/devices)");
            }
            g.attach(c);
            return setUp(vfio, c, g, true, options);
        } catch (VfioException | RuntimeException e) {
            if (g != null) {
                g.close();
            }
            c.close();
            throw e;
        }
    }

    /**
     * A session over a container the caller opened and attached a group to (its IOMMU type may be set
     * already). The session does not close the container; it removes what it created.
     */
    public static DmaSession over(Container container, SessionOptions options) throws VfioException {
        return setUp(container.vfio(), container, null, false, options);
    }

    private static DmaSession setUp(Vfio vfio, Container c, Group g, boolean owns, SessionOptions options)
            throws VfioException {
        PlanExecution.Result r = PlanExecution.run(vfio, c, options);
        return new DmaSession(vfio, c, g, owns, options, r.plan(), r.window(), r.kept(), r.created(), r.enabledV1());
    }

    public Vfio vfio() {
        return vfio;
    }

    public Container container() {
        return container;
    }

    /** The group, when the session opened it ({@link #open}); empty for {@link #over}. */
    public Optional<Group> group() {
        return Optional.ofNullable(group);
    }

    public SessionOptions options() {
        return options;
    }

    /** The plan as executed: every decision with its reason, and where the window really is. */
    public Plan plan() {
        return plan;
    }

    /** The window the session maps into. */
    public DmaWindow window() {
        return window;
    }

    /** The session's IOVA allocator over {@link #window()}. */
    public IovaAllocator iovas() {
        return iovas;
    }

    /** The default (32-bit) window, when the plan kept it next to the created one (keepDefaultWindow). */
    public Optional<DmaWindow> window32() {
        return Optional.ofNullable(window32);
    }

    /** The allocator over {@link #window32()}, when there is one. */
    public Optional<IovaAllocator> iovas32() {
        return Optional.ofNullable(iovas32);
    }

    /** The SPAPR type in use. */
    public IommuType iommuType() {
        return plan.containerType();
    }

    /** Opens a device of the session's group; it is closed (first) when the session closes. */
    public synchronized Device openDevice(String pciAddress) throws VfioException {
        checkOpen();
        if (group == null) {
            throw new IllegalStateException("this session was made over a container: open devices on your group");
        }
        Device d = group.openDevice(pciAddress);
        devices.add(d);
        return d;
    }

    /**
     * Hands the whole session back when the kernel asks for {@code device} (vfio-pci's request
     * interrupt: a DLPAR hot-remove or an unbind, see {@link Device#onReleaseRequest}): the session
     * closes, on the watch's thread: mappings, registrations, memory and window first (the kernel drops
     * the windows as soon as the device is gone), then the devices and, if the session opened them, the
     * group and the container; then
     * {@code released} gets the session and the teardown failure, or null when it was clean. A driver
     * thread still using the session then gets {@link IllegalStateException} (closed), never a hang.
     *
     * @param device a device opened through {@link #openDevice}
     * @param released called after the teardown (may be null)
     * @return the watch (closed with the device)
     * @throws VfioException if the kernel refused to arm the request interrupt
     * @throws IllegalArgumentException if {@code device} was not opened through this session
     */
    public synchronized ReleaseRequests releaseOnRequest(Device device, BiConsumer<DmaSession, RuntimeException> released)
            throws VfioException {
        checkOpen();
        if (!devices.contains(device)) {
            throw new IllegalArgumentException(device.address() + " was not opened through this session (use openDevice)");
        }
        return device.onReleaseRequest(d -> {
            RuntimeException failure = null;
            try {
                synchronized (this) {
                    teardown(true);
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            if (released != null) {
                released.accept(this, failure);
            }
        });
    }

    /**
     * {@code size} bytes of DMA memory with the session's backing, sized in whole TCE pages of its window.
     * Owned by the session (freed at close, after it is unmapped); closing it earlier is fine.
     */
    public synchronized DmaMemory allocate(long size) throws VfioException {
        checkOpen();
        DmaMemory m = DmaMemory.allocate(vfio, size, options.backing(), window.pageSize());
        owned.add(m);
        return m;
    }

    /** {@link #map(DmaMemory, DmaDirection)} for both directions. */
    public long map(DmaMemory memory) throws VfioException {
        return map(memory, DmaDirection.BIDIRECTIONAL);
    }

    /**
     * Maps all of {@code memory} at an IOVA the session allocates in its window (registering it first
     * on v2) and returns that IOVA: the bus address the device must be given. Mapping memory that is
     * already mapped in this session returns its IOVA.
     *
     * @throws VfioGuardException when the memory's pages are smaller than the window's TCE pages, or
     *     no IOVA range of its size is free
     */
    public synchronized long map(DmaMemory memory, DmaDirection direction) throws VfioException {
        return mapInto(memory, direction, window, iovas);
    }

    /**
     * Maps {@code memory} into the kept default window, below 4 GiB, for what a device can only address
     * with 32 bits. Needs {@link PlannerOptions#keepDefaultWindow()} on a platform with two windows; on a
     * session that maps into the default window anyway (no DDW), this is {@link #map(DmaMemory, DmaDirection)}.
     */
    public synchronized long map32(DmaMemory memory, DmaDirection direction) throws VfioException {
        if (iovas32 != null) {
            return mapInto(memory, direction, window32, iovas32);
        }
        if (window.isDefault() && window.end() <= (1L << 32)) {
            return mapInto(memory, direction, window, iovas);
        }
        throw new VfioGuardException("map " + memory + " below 4G", 0, "this session has no 32-bit window: open it "
                + "with PlannerOptions.withKeepDefaultWindow(true) (impossible on single-window platforms)");
    }

    private long mapInto(DmaMemory memory, DmaDirection direction, DmaWindow w, IovaAllocator a) throws VfioException {
        checkOpen();
        for (DmaMemory.Mapping m : memory.mappings(container)) {
            if (w.contains(m.iova())) {
                return m.iova();
            }
        }
        if (memory.pageSize() < w.pageSize()) {
            throw new VfioGuardException("map " + memory, 0, String.format(
                    "the window has %s TCE pages but the memory is backed by %s pages; a TCE cannot map more than the "
                            + "page behind it: allocate it with session.allocate() or Backing.HUGETLB",
                    Sizes.human(w.pageSize()), Sizes.human(memory.pageSize())));
        }
        IovaRange r = a.allocate(memory.size());
        try {
            memory.map(container, r.start(), 0, memory.size(), direction, () -> a.free(r));
        } catch (VfioException | RuntimeException e) {
            try {
                a.free(r);
            } catch (VfioException f) {
                e.addSuppressed(f);
            }
            throw e;
        }
        mapped.add(memory);
        return r.start();
    }

    /** The IOVA of {@code memory} in this session, if mapped. */
    public Optional<Long> iova(DmaMemory memory) {
        return memory.iova(container);
    }

    /** Unmaps {@code memory} (its IOVA range returns to the allocator) and unregisters it (v2). */
    public synchronized void unmap(DmaMemory memory) throws VfioException {
        checkOpen();
        memory.unmap(container);
        mapped.remove(memory);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the DMA session is closed");
        }
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    /**
     * Tears everything down in order (see the class comment). Every step is attempted; failures are
     * collected and thrown at the end as one {@link UncheckedIOException}. Idempotent.
     */
    @Override
    public synchronized void close() {
        teardown(false);
    }

    /**
     * The teardown. {@code devicesLast}: on a release request the kernel blocks the removal until the
     * device fds close, and detaches the group from the container (dropping its windows) right after; so
     * the windows, mappings and registrations go first, while they still exist, and the devices last.
     */
    private void teardown(boolean devicesLast) {
        if (closed) {
            return;
        }
        closed = true;
        List<Exception> errors = new ArrayList<>();
        if (!devicesLast) {
            closeDevices();
        }
        boolean live = container.isOpen();
        for (DmaMemory m : mapped) {
            if (!live) {
                m.forget(container); // closing the container already released everything in the kernel
                continue;
            }
            try {
                m.unmap(container);
            } catch (VfioException | RuntimeException e) {
                errors.add(e);
            }
        }
        mapped.clear();
        for (DmaMemory m : owned) {
            try {
                m.close();
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        owned.clear();
        if (container.isOpen()) {
            if (createdWindow) {
                try {
                    container.removeWindow(window.start());
                } catch (VfioException e) {
                    errors.add(e);
                }
            }
            if (enabledV1) {
                try {
                    container.disable();
                } catch (VfioException e) {
                    errors.add(e);
                }
            }
        }
        closeDevices();
        if (owns) {
            if (group != null) {
                group.close();
            }
            container.close();
        }
        if (!errors.isEmpty()) {
            Exception first = errors.getFirst();
            UncheckedIOException u = new UncheckedIOException("DMA session teardown: " + first.getMessage(),
                    first instanceof java.io.IOException io ? io : new java.io.IOException(first));
            errors.stream().skip(1).forEach(u::addSuppressed);
            throw u;
        }
    }

    private void closeDevices() {
        for (Device d : devices) {
            d.close();
        }
        devices.clear();
    }

    @Override
    public String toString() {
        return String.format("DmaSession[%s, %s, %s]", plan.containerType(), window, iovas);
    }
}
