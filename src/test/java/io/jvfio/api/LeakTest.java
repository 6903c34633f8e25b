package io.jvfio.api;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.backend.kernel.KernelBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing leaks: after 10,000 open/close cycles the process's fd count (and mapping count) is back
 * at its baseline. Runs on the kernel backend wherever /dev/vfio exists (the QEMU guest), and on
 * the host for the paths that exist there.
 */
class LeakTest {
    static final int CYCLES = 10_000;

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    static long mappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).size();
    }

    @Test
    void kernel_openCloseCycles_fdCountBackAtBaseline() throws Exception {
        KernelBackend k = new KernelBackend();
        long before = openFds();
        for (int i = 0; i < CYCLES; i++) {
            int fd = k.open("/dev/null");
            assertTrue(fd >= 0);
            assertEquals(0, k.close(fd));
        }
        try (Vfio vfio = Vfio.kernel()) {
            for (int i = 0; i < CYCLES; i++) {
                try (Container c = vfio.openContainer()) {
                    c.apiVersion();
                } catch (VfioException expectedWithoutVfio) {
                    // the failed open must not leak either
                }
            }
        }
        assertEquals(before, openFds());
    }

    @Test
    void kernel_fullGroupCycles_inTheGuest() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/vfio/0")), "no /dev/vfio/0: runs in the QEMU pSeries guest");
        long before = openFds();
        try (Vfio vfio = Vfio.kernel()) {
            for (int i = 0; i < 1000; i++) {
                try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
                    g.attach(c);
                    c.setIommu(IommuType.SPAPR_TCE_V2);
                    try (Device d = g.openDevice("0000:00:00.0")) {
                        d.info();
                    }
                }
            }
        }
        assertEquals(before, openFds());
    }

    @Test
    void kernel_dmaBuffers_unmappedOnClose() throws Exception {
        try (Vfio vfio = Vfio.kernel()) {
            long before = mappings();
            for (int i = 0; i < CYCLES; i++) {
                try (DmaBuffer b = vfio.allocate(64 << 10, false)) {
                    b.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
                }
            }
            // The JVM maps a few regions of its own as it runs (code cache, heap); a leak would add one
            // per cycle.
            long after = mappings();
            assertTrue(after < before + 100, "mappings " + before + " -> " + after + " after " + CYCLES + " cycles");
        }
    }

    @Test
    void emulated_fullCycles_noFdOrRegistrationLeft() throws Exception {
        long before = openFds();
        try (Vfio vfio = Vfio.emulated("qemu-pseries")) {
            for (int i = 0; i < CYCLES; i++) {
                try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0);
                     DmaBuffer b = vfio.allocate(64 << 10, false)) {
                    g.attach(c);
                    c.setIommu(IommuType.SPAPR_TCE_V2);
                    c.registerMemory(b.segment());
                    c.map(0x100000, b.segment(), DmaDirection.BIDIRECTIONAL);
                    try (Device d = g.openDevice("0000:00:00.0")) {
                        d.info();
                    }
                    c.unmap(0x100000, b.size());
                    c.unregisterMemory(b.segment());
                }
            }
            // The emulator's own fd table is empty again: the next fd is the lowest, 3.
            int fd = vfio.backend().open(Vfio.CONTAINER_PATH);
            assertEquals(3, fd);
            vfio.backend().close(fd);
            io.jvfio.emul.EmulatorState st = ((io.jvfio.emul.EmulatedBackend) vfio.backend()).inspect();
            assertEquals(0, st.lockedVmBytes(), "locked memory accounting back to 0: " + st);
        }
        assertEquals(before, openFds());
    }
}
