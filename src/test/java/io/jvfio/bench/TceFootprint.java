package io.jvfio.bench;

import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;

/**
 * Retained heap per mapped TCE in the emulator, in a 2^40-byte window of 4 KiB TCEs (2^28 entries):
 * heap used after full GCs, before and after mapping N TCEs, divided by N.
 *
 * <ul>
 *   <li>{@code sparse}: N single-page mappings spread evenly over the whole window (the worst case
 *       for a chunked sparse table: each mapping may touch a chunk of its own);</li>
 *   <li>{@code dense}: one mapping of N contiguous pages at the window start (the best case).</li>
 * </ul>
 *
 * Several N show whether the cost follows what is mapped, not the window's size. Not a JMH benchmark
 * (a heap measurement, not a timing): prints {@code footprint layout=... tces=N ... bytes_per_tce=X}
 * lines that scripts/bench.sh puts in the report.
 */
public final class TceFootprint {
    private TceFootprint() {}

    static final long PAGE = 4096;
    static final long WINDOW = 1L << 40;

    public static void main(String[] args) {
        if (!Emulator.available()) {
            System.out.println("footprint skipped: the emulator (io.jvfio.emul) is not on the class path");
            return;
        }
        // The empty window first: what a 2^28-entry window costs with nothing mapped.
        System.out.println(measure("sparse", 0));
        for (int n : new int[] {256, 1024, 4096}) {
            System.out.println(measure("sparse", n));
        }
        for (int n : new int[] {4096, 65536}) {
            System.out.println(measure("dense", n));
        }
    }

    static String measure(String layout, int n) {
        boolean dense = layout.equals("dense");
        long heapBefore = usedHeapAfterGc();
        try (Emulator.RawContainer c = new Emulator.RawContainer(Emulator.newBackend())) {
            MemorySegment mem = c.registered(dense ? Math.max(1, n) * PAGE : PAGE);
            long beforeWindow = usedHeapAfterGc();
            long start = c.createWindow(12, WINDOW);
            long stride = n == 0 ? 0 : (WINDOW / n) & -PAGE;
            // Argument structs first and reused: only the emulator's state grows between the readings.
            MemorySegment map = c.mapArgs(start, mem.address(), dense ? n * PAGE : PAGE);
            MemorySegment unmap = c.unmapArgs(start, dense ? n * PAGE : PAGE);
            long before = usedHeapAfterGc();
            if (dense) {
                Emulator.ok(c.b.iommuMapDma(c.container, map), "MAP_DMA of " + n + " pages");
            } else {
                for (int i = 0; i < n; i++) {
                    vfio_iommu_type1_dma_map.iova.set(map, start + i * stride);
                    Emulator.ok(c.b.iommuMapDma(c.container, map), "MAP_DMA #" + i);
                }
            }
            long after = usedHeapAfterGc();
            // Unmap mapping by mapping (an UNMAP of the whole window walks its 2^28 entries); this also
            // keeps the emulator reachable until after the second reading.
            if (dense) {
                Emulator.ok(c.b.iommuUnmapDma(c.container, unmap), "UNMAP_DMA");
            } else {
                for (int i = 0; i < n; i++) {
                    vfio_iommu_type1_dma_unmap.iova.set(unmap, start + i * stride);
                    Emulator.ok(c.b.iommuUnmapDma(c.container, unmap), "UNMAP_DMA #" + i);
                }
            }
            long afterUnmap = usedHeapAfterGc();
            return String.format(Locale.ROOT,
                    "footprint layout=%s window_bytes=%d tces=%d stride=0x%x empty_window_bytes=%d heap_delta=%d"
                            + " bytes_per_tce=%s after_unmap_delta=%d platform_bytes=%d",
                    layout, WINDOW, n, stride, before - beforeWindow, after - before,
                    n == 0 ? "-" : String.format(Locale.ROOT, "%.1f", (double) (after - before) / n),
                    afterUnmap - before, beforeWindow - heapBefore);
        }
    }

    static long usedHeapAfterGc() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        // A few rounds: the reading settles once nothing is left to clean up.
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
