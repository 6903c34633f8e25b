package io.jvfio;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a {@link Container} knows of its IOMMU state (its windows, its registrations and its
 * mappings) and the checks made against it before an ioctl reaches the kernel: a range leaving its
 * window, memory that was freed. {@link DmaBuffer#close()} relies on the registrations and mappings
 * to undo exactly what points into the buffer.
 *
 * <p>Windows and registrations are copy-on-write arrays: the map path reads them without locking.
 */
final class DmaTracking {
    private static final VarHandle WINDOWS;
    private static final VarHandle REGISTERED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            WINDOWS = l.findVarHandle(DmaTracking.class, "windows", DmaWindow[].class);
            REGISTERED = l.findVarHandle(DmaTracking.class, "registered", MemorySegment[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final VfioBackend backend;
    /** The windows, copy-on-write: read without locking on the map path. */
    private volatile DmaWindow[] windows = new DmaWindow[0];
    /** The memory registered through this container (v2), copy-on-write like the windows. */
    private volatile MemorySegment[] registered = new MemorySegment[0];
    /** What is mapped where, so that a freed buffer can be unmapped. */
    final Mappings mappings = new Mappings();
    /** The open mappers: they record their own mappings. */
    private final List<DmaMapper> mappers = new CopyOnWriteArrayList<>();

    DmaTracking(VfioBackend backend) {
        this.backend = backend;
    }

    /** The kernel released everything (last group detached, or the container closed): {@code why} mappers stop. */
    synchronized void forgetAll(String why) {
        for (DmaMapper m : mappers) {
            m.invalidate(why);
        }
        mappers.clear(); // an unusable mapper maps nothing; unreferenced here, a dropped one can be cleaned
        registered = new MemorySegment[0];
        mappings.clearAll();
    }

    DmaMapper opened(DmaMapper m) {
        mappers.add(m);
        return m;
    }

    void closed(DmaMapper m) {
        mappers.remove(m);
    }

    /**
     * The IOVA ranges mapped into process memory {@code [va, va+len)}, through the container or any
     * open mapper, as {@code {iova, size}} pairs. A mapper's range outside every window is left out: the
     * window's removal cleared it.
     */
    long[] rangesInto(long va, long len) {
        long[] out = mappings.rangesInto(va, len);
        for (DmaMapper m : mappers) {
            long[] r = m.rangesInto(va, len);
            for (int i = 0; i < r.length; i += 2) {
                if (windowAt(r[i]) != null) {
                    out = Arrays.copyOf(out, out.length + 2);
                    out[out.length - 2] = r[i];
                    out[out.length - 1] = r[i + 1];
                }
            }
        }
        return out;
    }

    /** What v1 ENABLE charges: the default window, {@code tce32_size >> PAGE_SHIFT} pages. */
    long defaultWindowCharge(long pageSize) {
        for (DmaWindow w : windows) {
            if (w.isDefault()) {
                return w.size() & -pageSize;
            }
        }
        return 0;
    }

    /** After the last group's detach: no windows either. */
    void forgetWindows() {
        windows = new DmaWindow[0];
    }

    /** SET_IOMMU learnt the default window; an empty size means there is none. */
    void setDefaultWindow(TceInfo info) {
        windows = info.dma32WindowSize() == 0 ? new DmaWindow[0]
                : new DmaWindow[] {new DmaWindow(info.dma32WindowStart(), info.dma32WindowSize(), 12, 1, true)};
    }

    /** A closed buffer keeps its address; the kernel would pin whatever is mapped there now. */
    static void requireAlive(MemorySegment memory) {
        Objects.requireNonNull(memory, "memory");
        if (!memory.scope().isAlive()) {
            throw new IllegalStateException("the memory segment's arena is closed (buffer already freed)");
        }
    }

    /** Records a registration, or drops the one with exactly this address and size (as the kernel matches). */
    synchronized void tracked(MemorySegment memory, boolean add) {
        List<MemorySegment> l = new ArrayList<>(List.of(registered));
        if (add) {
            l.add(memory);
        } else {
            l.removeIf(m -> m.address() == memory.address() && m.byteSize() == memory.byteSize());
        }
        registered = l.toArray(new MemorySegment[0]);
    }

    /** The registrations wholly inside the process memory {@code [address, address+size)}. */
    List<MemorySegment> registeredWithin(long address, long size) {
        List<MemorySegment> out = new ArrayList<>();
        for (MemorySegment m : registered) {
            if (m.address() >= address && m.address() + m.byteSize() <= address + size) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Refuses a MAP by address into registered memory whose segment was freed: the kernel would map
     * whatever the process has at that address now.
     */
    void requireLiveRegistration(long vaddr, long size) {
        requireLiveRegistration(registered, vaddr, size);
    }

    /** As {@link #requireLiveRegistration(long, long)} against the registrations {@code rs}. */
    static void requireLiveRegistration(MemorySegment[] rs, long vaddr, long size) {
        for (MemorySegment m : rs) {
            if (Long.compareUnsigned(vaddr, m.address() + m.byteSize()) < 0
                    && Long.compareUnsigned(m.address(), vaddr + size) < 0 && !m.scope().isAlive()) {
                throw new IllegalStateException(String.format("the registered memory [0x%x, +0x%x) was freed (its "
                        + "arena is closed): map live memory, and unregister memory before freeing it",
                        m.address(), m.byteSize()));
            }
        }
    }

    synchronized void addWindow(DmaWindow w) {
        List<DmaWindow> l = new ArrayList<>(List.of(windows));
        l.add(w);
        windows = l.toArray(new DmaWindow[0]);
    }

    synchronized void removeTracked(long addr) {
        List<DmaWindow> l = new ArrayList<>(List.of(windows));
        for (DmaWindow w : l) {
            if (w.contains(addr)) {
                mappings.unmapped(w.start(), w.size()); // REMOVE clears every TCE of the window
            }
        }
        if (!l.removeIf(w -> w.contains(addr)) && addr == 0) {
            // REMOVE(0) succeeded without a window at 0: the kernel dropped the still-pending default
            // window, wherever it would have started.
            l.removeIf(DmaWindow::isDefault);
        }
        windows = l.toArray(new DmaWindow[0]);
    }

    List<DmaWindow> windows() {
        return List.of(windows);
    }

    DmaWindow windowAt(long iova) {
        return windowAt(windows, iova);
    }

    /** The window of {@code ws} that {@code iova} falls in, or null. */
    static DmaWindow windowAt(DmaWindow[] ws, long iova) {
        for (DmaWindow w : ws) {
            if (w.contains(iova)) {
                return w;
            }
        }
        return null;
    }

    /**
     * The windows and the registrations as they are now, read opaquely, for a {@link DmaMapper}'s
     * lookups: a volatile read costs a full barrier on POWER, and its acquire ends QEMU's translation
     * block. Each array is replaced whole, never changed, and its elements are immutable, so a reader
     * gets one consistent set; a change that happens-before the mapper's call (the caller's own
     * synchronisation) is seen, as with a volatile read.
     */
    DmaWindow[] windowSet() {
        return (DmaWindow[]) WINDOWS.getOpaque(this);
    }

    /** As {@link #windowSet()}, for the registrations. */
    MemorySegment[] registrationSet() {
        return (MemorySegment[]) REGISTERED.getOpaque(this);
    }

    /**
     * Refuses {@code [iova, iova+size)} when it starts in window {@code w} (the one {@code iova} falls in;
     * null: none) and leaves it: {@code why} the kernel must not see it.
     */
    void requireWithin(DmaWindow w, VfioIoctl ioctl, long iova, long size, String why) throws VfioGuardException {
        if (w != null && !w.containsRange(iova, size)) {
            throw new VfioGuardException(String.format("%s iova=0x%x size=0x%x", ioctl.name(), iova, size),
                    ioctl.request(backend.arch()), "the range leaves its " + w + "; " + why);
        }
    }
}
