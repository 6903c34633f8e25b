package io.jvfio.nested.l2;

import io.jvfio.Container;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Measures, in L2, what window set-up and teardown cost under nested KVM (the cost model of
 * docs/nested-kvm.md): creating and removing 4K-page windows of two sizes, and a container's
 * release (which makes L2's kernel reset the default window). Prints {@code @@NESTED-COST} lines;
 * asserts nothing. Opt-in: {@code -Djvfio.nested.l2.cost=true} (the harness's --cost-model).
 */
class NestedCostTest {
    @Test
    void windowCosts() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("jvfio.nested.l2.cost") && Files.exists(Path.of("/dev/vfio/0")),
                "opt-in: -Djvfio.nested.l2.cost=true in L2 of the nested harness");
        long[] sizes = {4L << 20, 16L << 20, 64L << 20};
        for (long size : sizes) {
            try (Vfio vfio = Vfio.kernel()) {
                long t3;
                try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
                    g.attach(c);
                    c.setIommu(IommuType.SPAPR_TCE_V2);
                    long t0 = System.nanoTime();
                    DmaWindow w = c.createWindow(12, size, 1);
                    long t1 = System.nanoTime();
                    c.removeWindow(w.start());
                    long t2 = System.nanoTime();
                    long tces = size >> 12;
                    System.out.printf("@@NESTED-COST ddw tces=%d create_ms=%d remove_ms=%d remove_us_per_tce=%.1f%n", tces,
                            (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t2 - t1) / 1000.0 / tces);
                    t3 = System.nanoTime();
                } // closing the group and container: L2's kernel takes the group back, the default window is reset
                long t4 = System.nanoTime();
                System.out.printf("@@NESTED-COST release default_window_bytes=%s release_ms=%d%n",
                        System.getProperty("jvfio.nested.l2.dmaWinSize", "?"), (t4 - t3) / 1_000_000);
            }
        }
    }
}
