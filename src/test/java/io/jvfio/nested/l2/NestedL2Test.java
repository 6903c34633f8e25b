package io.jvfio.nested.l2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.DdwInfo;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs in L2 of the nested-KVM harness (io.jvfio.harness.nested): what L2's kernel sees of the PHB
 * that QEMU in L1 emulates on top of L1's VFIO container. The harness passes the configured shape as
 * {@code -Djvfio.nested.l2.dmaWinSize}; anywhere else (no /dev/vfio/0, no property) it is skipped.
 */
class NestedL2Test {
    static final String DMA_WIN = "jvfio.nested.l2.dmaWinSize";

    @BeforeAll
    static void onlyInL2() {
        Assumptions.assumeTrue(System.getProperty(DMA_WIN) != null && Files.exists(Path.of("/dev/vfio/0")),
                "runs only in L2 of the nested harness (-D" + DMA_WIN + " and /dev/vfio/0)");
    }

    /** The default window L2 sees is the dma_win_size the harness gave L1's QEMU, and DDW is offered. */
    @Test
    void defaultWindow_isTheConfiguredPhbShape() throws Exception {
        long expected = Long.decode(System.getProperty(DMA_WIN));
        try (Vfio vfio = Vfio.kernel(); Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            TceInfo info = c.tceInfo();
            assertEquals(0L, info.dma32WindowStart(), "default window start");
            assertEquals(expected, info.dma32WindowSize(), "default window size = L2's dma_win_size");
            DdwInfo ddw = info.ddw().orElseThrow(() -> new AssertionError("no DDW info in L2"));
            assertTrue(ddw.supportsPageShift(12), () -> "4K TCEs offered: 0x" + Long.toHexString(ddw.pgsizes()));
            assertTrue(ddw.maxDynamicWindows() >= 1, "at least one dynamic window");
            System.out.printf("@@NESTED-L2 GET_INFO dma32=0x%x/0x%x pgsizes=0x%x windows=%d levels=%d%n",
                    info.dma32WindowStart(), info.dma32WindowSize(), ddw.pgsizes(), ddw.maxDynamicWindows(), ddw.levels());
        }
    }

    /** A second window (DDW) in L2 is mirrored by QEMU in L1 as a host window at the same bus address. */
    @Test
    void createdWindow_isPlacedAboveTheDefaultOne() throws Exception {
        try (Vfio vfio = Vfio.kernel(); Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            DmaWindow w = c.createWindow(16, 16L << 20, 1); // 256 TCEs of 64K: cheap to tear down
            try {
                assertNotEquals(0L, w.start(), "a second window while the default one exists");
                assertEquals(16L << 20, w.size());
            } finally {
                c.removeWindow(w.start());
            }
        }
    }
}
