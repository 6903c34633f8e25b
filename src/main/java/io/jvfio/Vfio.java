package io.jvfio;

import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The entry point. A {@code Vfio} owns one backend, chosen explicitly: {@link #kernel()} for the
 * running kernel, or {@link #emulated(String)} for the in-process pSeries model; there is no silent
 * fallback between them.
 *
 * <pre>{@code
 * try (Vfio vfio = Vfio.kernel();
 *      Container c = vfio.openContainer();
 *      Group g = vfio.openGroup(0)) {
 *     g.attach(c);
 *     c.setIommu(IommuType.SPAPR_TCE_V2);
 *     try (DmaBuffer buf = vfio.allocate(2 << 20, true)) {
 *         c.registerMemory(buf.segment());
 *         DmaWindow w = c.createWindow(21, 1L << 32, 1);
 *         c.map(w.start(), buf.segment(), DmaDirection.BIDIRECTIONAL);
 *     }
 * }
 * }</pre>
 *
 * Objects close in the order device, group, container; closing an owner closes what it owns first,
 * and closing the {@code Vfio} closes everything it opened or allocated. See the package
 * documentation for the exception contract; most programs start from the toolkit's
 * {@code io.jvfio.toolkit.DmaSession} instead of this raw API.
 *
 * <p>Thread-safe: every method may be called from any thread, and {@link #close()} from another
 * thread makes later calls throw {@link IllegalStateException}.
 */
public final class Vfio implements AutoCloseable {
    /** eventfd's EFD_NONBLOCK (O_NONBLOCK), the same on x86-64, aarch64 and ppc64le. */
    static final int EFD_NONBLOCK = 04000;

    /** The container device node: {@value}. */
    public static final String CONTAINER_PATH = "/dev/vfio/vfio";

    private final VfioBackend backend;
    /** What this Vfio opened and has not seen closed: closing the Vfio closes it. */
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Vfio(VfioBackend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** Tracks a new object; if this Vfio closed meanwhile, closes it and refuses. */
    private <T extends AutoCloseable> T opened(T child) {
        open.add(child);
        if (closed.get()) {
            closeQuietly(child);
            requireOpen();
        }
        return child;
    }

    void closed(AutoCloseable child) {
        open.remove(child);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this Vfio is closed, and with it everything it opened: make a new one "
                    + "(Vfio.kernel() or Vfio.emulated(profile))");
        }
    }

    /**
     * Whether this Vfio can still open things.
     *
     * @return true until {@link #close()}
     */
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * The running kernel, through FFM. Nothing is opened until {@link #openContainer()}, so this
     * succeeds on hosts without VFIO; the first open then says what is missing.
     *
     * @return a Vfio over the kernel backend
     */
    public static Vfio kernel() {
        return new Vfio(new KernelBackend());
    }

    /**
     * The in-process emulator of a 6.12 pSeries guest with a named platform profile
     * ({@code qemu-pseries}, {@code qemu-pseries-2phb}, {@code sriov-vf}, {@code no-ddw},
     * {@code big-window}, {@code qemu-pseries-topology}: two PHBs and a multi-function edu), speaking
     * ppc64le request numbers.
     *
     * @param profile the profile's name
     * @return a Vfio over a fresh emulated platform
     * @throws IllegalArgumentException if no profile has that name
     * @throws NullPointerException if {@code profile} is null
     */
    public static Vfio emulated(String profile) {
        return new Vfio(new EmulatedBackend(Profile.named(Objects.requireNonNull(profile, "profile"))));
    }

    /**
     * Any backend, e.g. an emulator built with a custom profile. The Vfio owns it: closing the Vfio
     * closes the backend.
     *
     * @param backend the backend
     * @return a Vfio over it
     * @throws NullPointerException if {@code backend} is null
     */
    public static Vfio over(VfioBackend backend) {
        return new Vfio(backend);
    }

    /**
     * Whether this host has a VFIO container node, i.e. {@link #kernel()} can work.
     *
     * @return true when {@value #CONTAINER_PATH} exists
     */
    public static boolean kernelAvailable() {
        return Files.exists(Path.of(CONTAINER_PATH));
    }

    /**
     * The backend, for the raw seam (one method per ioctl, no guards).
     *
     * @return the backend this Vfio owns
     */
    public VfioBackend backend() {
        return backend;
    }

    /**
     * Opens {@code /dev/vfio/vfio}: a new, empty container.
     *
     * @return the container
     * @throws VfioUnavailableException if there is no VFIO here
     * @throws VfioPermissionException if the process may not open it
     * @throws VfioException for any other failure of the open
     * @throws IllegalStateException if this Vfio is closed
     */
    public Container openContainer() throws VfioException {
        requireOpen();
        int fd = backend.open(CONTAINER_PATH);
        if (fd < 0) {
            throw Errors.open(backend, CONTAINER_PATH, -fd);
        }
        return opened(new Container(this, new FdHandle(backend, fd, "container")));
    }

    /**
     * Opens {@code /dev/vfio/N}. One opener at a time: a second open of the same group is EBUSY.
     *
     * @param number the IOMMU group number
     * @return the group
     * @throws VfioUnavailableException if there is no such group
     * @throws VfioPermissionException if the process may not open it
     * @throws VfioException for any other failure (EBUSY: already open)
     * @throws IllegalStateException if this Vfio is closed
     */
    public Group openGroup(int number) throws VfioException {
        requireOpen();
        String path = "/dev/vfio/" + number;
        int fd = backend.open(path);
        if (fd < 0) {
            throw Errors.open(backend, path, -fd);
        }
        return opened(new Group(this, number, new FdHandle(backend, fd, "group " + number)));
    }

    /**
     * Process memory for DMA: anonymous, or MAP_HUGETLB with {@code hugetlb} (needed for TCE pages
     * above the base page size), aligned to its page size. Closing the buffer unmaps it.
     *
     * @param size bytes, a positive multiple of the page size
     * @param hugetlb whether to use the default huge page size
     * @return the buffer
     * @throws VfioGuardException if {@code size} is not a positive multiple of the page size
     * @throws VfioSystemException if the mmap failed (no free huge pages, out of memory)
     * @throws IllegalStateException if this Vfio is closed
     */
    public DmaBuffer allocate(long size, boolean hugetlb) throws VfioException {
        requireOpen();
        long page = hugetlb ? backend.hugePageSize() : backend.pageSize();
        if (size <= 0 || size % page != 0) {
            throw new VfioGuardException("allocate(" + size + (hugetlb ? ", hugetlb" : "") + ")", 0,
                    "the size must be a positive multiple of the page size " + Sizes.human(page));
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = backend.mmapAnonymous(size, hugetlb, arena);
            return opened(new DmaBuffer(this, arena, seg, page, hugetlb));
        } catch (ErrnoException e) {
            arena.close();
            throw Errors.system(e.operation(), e.errno(), hugetlb
                    ? "no free huge pages: reserve some (echo 16 > /proc/sys/vm/nr_hugepages)"
                    : "out of memory or address space");
        }
    }

    /**
     * A new eventfd, for device interrupts.
     *
     * @return the eventfd, non-blocking
     * @throws VfioSystemException if the eventfd could not be created
     * @throws IllegalStateException if this Vfio is closed
     */
    public EventFd eventfd() throws VfioException {
        requireOpen();
        int fd = backend.eventfd(0, EFD_NONBLOCK);
        if (fd < 0) {
            throw Errors.system("eventfd", -fd, "out of file descriptors? (ulimit -n)");
        }
        return opened(new EventFd(this, new FdHandle(backend, fd, "eventfd")));
    }

    /**
     * Undoes, in every container this Vfio opened, what maps or registers {@code buffer}'s memory.
     *
     * @throws IllegalStateException when the platform refused to undo it: the buffer then stays
     *     allocated, since the device may still reach it
     */
    void release(DmaBuffer buffer) {
        for (AutoCloseable c : open) {
            if (c instanceof Container container) {
                try {
                    container.release(buffer.address(), buffer.size());
                } catch (VfioException e) {
                    throw new IllegalStateException("cannot free the DMA buffer at 0x" + Long.toHexString(buffer.address())
                            + ": undoing its mapping or registration failed (" + e.getMessage() + "); it stays allocated "
                            + "until its container closes", e);
                }
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + c + " failed", e);
        }
    }

    /**
     * Closes everything this Vfio opened (devices, groups, containers, eventfds, then the DMA buffers),
     * then releases the backend (for the emulator: the whole emulated platform). Later calls on any of
     * them throw {@link IllegalStateException}. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Groups before containers (a container closes its attached groups first anyway), the kernel's
        // holders of buffer memory before the buffers.
        for (Class<?> kind : List.of(Group.class, Container.class, EventFd.class, DmaBuffer.class)) {
            for (AutoCloseable c : open) {
                if (kind.isInstance(c)) {
                    closeQuietly(c);
                }
            }
        }
        open.clear();
        backend.close();
    }
}
