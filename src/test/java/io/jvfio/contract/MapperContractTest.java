package io.jvfio.contract;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaMapper;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.VfioIoctlException;
import io.jvfio.backend.Errno;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Tag;

/**
 * {@link DmaMapper} on every backend, the running kernel included (the in-guest suite runs this
 * package): its MAP and UNMAP reach the platform through the seam's errno-buffer overloads, the errno
 * comes back right, and confinement and closing behave as on the emulator.
 */
@Tag("contract")
@AnyPageSize
class MapperContractTest {
    private static final long PAGE = 0x1000;
    private static final long IOVA = 0x100000;

    private static Container v2(Vfio vfio, Group g) throws VfioException {
        Container c = vfio.openContainer();
        g.attach(c);
        c.setIommu(IommuType.SPAPR_TCE_V2);
        return c;
    }

    /** MAP and UNMAP through the mapper succeed; a MAP past the default window is the platform's ENXIO. */
    @ContractTest
    void mapper_mapsAndUnmaps_andPastTheWindowIsENXIO(Fixture f) throws Exception {
        Vfio vfio = f.vfio();
        try (Group g = vfio.openGroup(0); Container c = v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false);
                DmaMapper m = c.mapper()) {
            c.registerMemory(b.segment());
            for (int i = 0; i < 3; i++) {
                m.map(IOVA, b.address(), 16 * PAGE, DmaDirection.BIDIRECTIONAL);
                m.unmap(IOVA, 16 * PAGE);
            }
            VfioIoctlException e = assertThrows(VfioIoctlException.class,
                    () -> m.map(Fixture.DMA32_SIZE, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
            assertEquals(Errno.ENXIO, e.errno(), e.getMessage());
            m.unmap(IOVA, PAGE); // nothing mapped there: succeeds
        }
    }

    /** The errno captured into the mapper's own buffer is the platform's: EPERM for MAP before REGISTER. */
    @ContractTest
    void mapper_mapBeforeRegister_isEPERM(Fixture f) throws Exception {
        Vfio vfio = f.vfio();
        try (Group g = vfio.openGroup(0); Container c = v2(vfio, g); DmaBuffer b = vfio.allocate(1 << 20, false);
                DmaMapper m = c.mapper()) {
            VfioIoctlException e = assertThrows(VfioIoctlException.class,
                    () -> m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL));
            assertEquals(Errno.EPERM, e.errno(), e.getMessage());
        }
    }

    /** Another thread's call is refused before any ioctl; the container's close stops the mapper. */
    @ContractTest
    void mapper_wrongThreadAndContainerClose_areExceptions(Fixture f) throws Exception {
        Vfio vfio = f.vfio();
        try (Group g = vfio.openGroup(0); DmaBuffer b = vfio.allocate(1 << 20, false)) {
            Container c = v2(vfio, g);
            c.registerMemory(b.segment());
            DmaMapper m = c.mapper();
            CompletionException wrong = assertThrows(CompletionException.class, () -> CompletableFuture.runAsync(() -> {
                try {
                    m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
                } catch (VfioException e) {
                    throw new IllegalStateException(e);
                }
            }).join());
            assertInstanceOf(WrongThreadException.class, wrong.getCause());
            m.map(IOVA, b.address(), PAGE, DmaDirection.BIDIRECTIONAL);
            c.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> m.unmap(IOVA, PAGE));
            assertTrue(closed.getMessage().contains("container is closed"), closed.getMessage());
            m.close();
        }
    }
}
