package io.jvfio.api;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaMapper;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioGuardException;
import io.jvfio.VfioIoctlException;
import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.Errno;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link DmaMapper} on the emulator: it maps and unmaps as {@link Container#map} does, with the same
 * errors; it is confined to its thread; use after its own close or its container's close is an
 * exception; a buffer freed on another thread is unmapped from what a mapper mapped; and the container
 * fd is closed once the container and the last mapper are.
 */
class DmaMapperTest {
    private static final long PAGE = 0x1000;
    private static final long IOVA = 0x100000;

    private EmulatedBackend backend;
    private Vfio vfio;
    private ExecutorService other;

    @BeforeEach
    void platform() {
        backend = new EmulatedBackend(Profile.named("qemu-pseries"));
        vfio = Vfio.over(backend);
        other = Executors.newSingleThreadExecutor(r -> new Thread(r, "other-thread"));
    }

    @AfterEach
    void down() {
        other.shutdownNow();
        vfio.close();
    }

    private long mappedTces() {
        var window = backend.inspect().containers().get(0).window(0);
        return window == null ? 0 : window.mappedTces(); // the default window exists from the first MAP
    }

    /** Runs {@code call} on the other thread and returns what it threw (or null). */
    private Throwable onOtherThread(Executable call) throws Exception {
        Future<Throwable> f = other.submit(() -> {
            try {
                call.execute();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        return f.get();
    }

    @Test
    void mapsAndUnmaps_likeTheContainer() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false);
                DmaMapper m = c.mapper()) {
            c.registerMemory(b.segment());
            m.map(IOVA, b.segment().asSlice(0, 4 * PAGE), DmaDirection.BIDIRECTIONAL);
            m.map(IOVA + 0x10000, b.address() + 4 * PAGE, PAGE, DmaDirection.TO_DEVICE);
            assertEquals(5, mappedTces());
            m.unmap(IOVA, 4 * PAGE);
            m.unmap(IOVA + 0x10000, PAGE);
            assertEquals(0, mappedTces());
            m.unmap(IOVA, PAGE); // unmapping space that is not mapped succeeds, as on the kernel
            c.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
            c.unmap(IOVA, PAGE);
            assertTrue(m.isOpen());
            assertSame(c, m.container());
        }
    }

    @Test
    void kernelErrors_areTheContainersExceptions() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false);
                DmaMapper m = c.mapper()) {
            VfioIoctlException e = assertThrows(VfioIoctlException.class,
                    () -> m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
            assertEquals(Errno.EPERM, e.errno());
            assertEquals(VfioIoctl.VFIO_IOMMU_MAP_DMA.request(vfio.backend().arch()), e.request());
            assertTrue(e.getMessage().contains("registerMemory() first"), e.getMessage());

            c.registerMemory(b.segment());
            // The kernel's bool-through-an-int answer to a misaligned IOVA, named as the container names it.
            VfioIoctlException unaligned = assertThrows(VfioIoctlException.class, () -> m.unmap(IOVA + 1, PAGE));
            assertTrue(unaligned.getMessage().contains("VFIO_IOMMU_UNMAP_DMA"), unaligned.getMessage());
            assertTrue(unaligned.getMessage().contains("not aligned"), unaligned.getMessage());

            long end = c.windows().get(0).end();
            VfioGuardException crossing = assertThrows(VfioGuardException.class,
                    () -> m.map(end - PAGE, b.address(), 2 * PAGE, DmaDirection.BIDIRECTIONAL));
            assertTrue(crossing.getMessage().contains("oopses"), crossing.getMessage());
            assertEquals(0, mappedTces(), "nothing issued");
            assertThrows(NullPointerException.class, () -> m.map(IOVA, b.address(), PAGE, null));
        }
    }

    @Test
    void checksAfterAMap_seeMemoryFreedAndWindowsChangedSince() throws Exception {
        // The mapper caches the registration and the window its last call fell in: a later call must
        // still see the registration's arena closed, and a window replaced by a smaller one.
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaMapper m = c.mapper()) {
            Arena a = Arena.ofShared();
            MemorySegment own = backend.mmapAnonymous(1 << 20, false, a);
            c.registerMemory(own);
            long addr = own.address();
            DmaWindow w = c.createWindow(12, 1 << 20, 1);
            m.map(w.start(), addr, PAGE, DmaDirection.BIDIRECTIONAL);
            m.unmap(w.start(), PAGE);
            c.removeWindow(w.start());
            DmaWindow small = c.createWindow(12, 64 << 10, 1);
            assertEquals(w.start(), small.start(), "the same place, so only the window set tells them apart");
            VfioGuardException crossing = assertThrows(VfioGuardException.class,
                    () -> m.map(small.start(), addr, 128 << 10, DmaDirection.BIDIRECTIONAL));
            assertTrue(crossing.getMessage().contains("oopses"), crossing.getMessage());
            m.map(small.start(), addr, PAGE, DmaDirection.TO_DEVICE);
            m.unmap(small.start(), PAGE);
            a.close();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.map(small.start(), addr, PAGE, DmaDirection.TO_DEVICE));
            assertTrue(e.getMessage().contains("was freed"), e.getMessage());
            assertEquals(0, mappedTces(), "nothing issued");
        }
    }

    @Test
    void anotherThread_getsWrongThreadException() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false);
                DmaMapper m = c.mapper()) {
            c.registerMemory(b.segment());
            Throwable map = onOtherThread(() -> m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
            assertInstanceOf(WrongThreadException.class, map);
            assertTrue(map.getMessage().contains("'" + Thread.currentThread().getName() + "'"), map.getMessage());
            assertTrue(map.getMessage().contains("other-thread"), map.getMessage());
            assertInstanceOf(WrongThreadException.class, onOtherThread(() -> m.unmap(IOVA, PAGE)));
            assertInstanceOf(WrongThreadException.class, onOtherThread(m::close));
            assertEquals(0, mappedTces(), "nothing issued");
            assertTrue(m.isOpen());
            // The same calls on the owning thread work.
            m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
            m.unmap(IOVA, PAGE);
        }
    }

    @Test
    void useAfterItsClose_isIllegalState() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false)) {
            c.registerMemory(b.segment());
            DmaMapper m = c.mapper();
            m.close();
            m.close(); // idempotent
            assertFalse(m.isOpen());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
            assertTrue(e.getMessage().contains("DmaMapper is closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> m.unmap(IOVA, PAGE));
            c.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL); // the container is unaffected
            c.unmap(IOVA, PAGE);
        }
    }

    @Test
    void containerClosedFromAnotherThread_whileTheMapperIsOpen() throws Exception {
        Group g = vfio.openGroup(0);
        Container c = MisuseTest.v2(vfio, g);
        DmaBuffer b = vfio.allocate(1 << 20, false);
        c.registerMemory(b.segment());
        int containerFd = backend.inspect().containers().get(0).id();
        DmaMapper m = c.mapper();
        m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);

        assertNull(onOtherThread(c::close));

        assertFalse(m.isOpen());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> m.map(IOVA + PAGE, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
        assertTrue(e.getMessage().contains("container is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.unmap(IOVA, PAGE));
        // The mapper still holds the fd, so its number cannot be reused under a call; closing it releases it.
        assertTrue(backend.inspect().openFds().contains(containerFd), "held by the mapper");
        m.close();
        assertFalse(backend.inspect().openFds().contains(containerFd), "closed with the last mapper");
        assertThrows(IllegalStateException.class, c::mapper);
        b.close();
        assertFalse(b.isAlive());
    }

    @Test
    void lastGroupDetached_stopsTheMapper() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaMapper m = c.mapper()) {
            g.detach();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.unmap(IOVA, PAGE));
            assertTrue(e.getMessage().contains("last group was detached"), e.getMessage());
        }
    }

    @Test
    void bufferFreedOnAnotherThread_unmapsWhatTheMapperMapped() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaMapper m = c.mapper()) {
            DmaBuffer b = vfio.allocate(1 << 20, false);
            c.registerMemory(b.segment());
            m.map(IOVA, b.address(), 2 * PAGE, DmaDirection.BIDIRECTIONAL);
            m.map(IOVA + 0x10000, b.address() + 0x10000, PAGE, DmaDirection.FROM_DEVICE);
            assertEquals(3, mappedTces());

            assertNull(onOtherThread(b::close), "freed: its mappings were undone, so it could be unregistered");
            assertFalse(b.isAlive());
            assertEquals(0, mappedTces());
            assertEquals(java.util.List.of(), backend.inspect().preregRegions());
        }
    }

    @Test
    void closedMapper_handsItsMappingsToTheContainer() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g)) {
            DmaBuffer b = vfio.allocate(1 << 20, false);
            c.registerMemory(b.segment());
            try (DmaMapper m = c.mapper()) {
                m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
            }
            assertEquals(1, mappedTces(), "closing the mapper unmaps nothing");
            CompletableFuture.runAsync(b::close, other).get();
            assertEquals(0, mappedTces(), "the container unmapped it when the buffer was freed");
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void mappersOfTwoThreads_mapSideBySide() throws Exception {
        try (Group g = vfio.openGroup(0); Container c = MisuseTest.v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false)) {
            c.registerMemory(b.segment());
            Future<Long> remote = other.submit(() -> {
                try (DmaMapper m = c.mapper()) {
                    for (int i = 0; i < 1000; i++) {
                        m.map(IOVA + 0x10000, b.address() + 0x10000, PAGE, DmaDirection.BIDIRECTIONAL);
                        m.unmap(IOVA + 0x10000, PAGE);
                    }
                    m.map(IOVA + 0x10000, b.address() + 0x10000, PAGE, DmaDirection.BIDIRECTIONAL);
                    return mappedTces();
                } catch (VfioException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (DmaMapper m = c.mapper()) {
                for (int i = 0; i < 1000; i++) {
                    m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
                    m.unmap(IOVA, PAGE);
                }
            }
            assertTrue(remote.get() >= 1);
            assertEquals(1, mappedTces(), "the other thread's last mapping stays");
        }
    }
}
