package io.jvfio.bench;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaMapper;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MAP+UNMAP hot path on the emulator (qemu-pseries profile): what the public API allocates above
 * the seam, what the emulator allocates below it, and the emulator's TCE throughput over large ranges.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is bytes per operation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 8, time = 1)
public class EmulatorBench {
    static final long PAGE = 4096;
    /** TCEs per operation of the throughput benchmark: 256 MiB of 4 KiB pages. */
    static final int TCES = 65536;

    /**
     * The public API: Vfio over the emulator, group 0 attached, v2, 64 KiB registered, default window.
     * {@code neighbour}: whether the next page stays mapped throughout, so the emulator's sparse TCE
     * table keeps the chunk alive instead of freeing it at each unmap and allocating it at each map.
     */
    @State(Scope.Thread)
    public static class Api {
        @Param({"false", "true"})
        public boolean neighbour;

        Vfio vfio;
        Container container;
        /** Opened in the trial's setup, which JMH runs on the benchmark's own thread (thread-scoped state). */
        DmaMapper mapper;
        Group group;
        DmaBuffer buffer;
        long vaddr;
        long iova;

        @Setup(Level.Trial)
        public void setup() throws VfioException {
            vfio = Vfio.over(Emulator.newBackend());
            container = vfio.openContainer();
            group = vfio.openGroup(0);
            group.attach(container);
            container.setIommu(IommuType.SPAPR_TCE_V2);
            buffer = vfio.allocate(16 * PAGE, false);
            container.registerMemory(buffer.segment());
            vaddr = buffer.address();
            iova = container.windows().get(0).start() + (1 << 20);
            container.map(iova, vaddr, PAGE, DmaDirection.BIDIRECTIONAL); // throws if the path does not work
            container.unmap(iova, PAGE);
            if (neighbour) {
                container.map(iova + PAGE, vaddr + PAGE, PAGE, DmaDirection.BIDIRECTIONAL);
            }
            mapper = container.mapper();
        }

        @TearDown(Level.Trial)
        public void close() {
            mapper.close();
            container.close();
            buffer.close();
            vfio.close();
        }
    }

    /** The emulator's raw seam, no public API: a v2 container with 64 KiB registered; {@code neighbour} as in {@link Api}. */
    @State(Scope.Thread)
    public static class Seam {
        @Param({"false", "true"})
        public boolean neighbour;

        Emulator.RawContainer c;
        MemorySegment map;
        MemorySegment unmap;

        @Setup(Level.Trial)
        public void setup() {
            c = new Emulator.RawContainer(Emulator.newBackend());
            MemorySegment mem = c.registered(16 * PAGE);
            map = c.mapArgs(1 << 20, mem.address(), PAGE);
            unmap = c.unmapArgs(1 << 20, PAGE);
            Emulator.ok(c.b.iommuMapDma(c.container, map), "MAP_DMA");
            Emulator.ok(c.b.iommuUnmapDma(c.container, unmap), "UNMAP_DMA");
            if (neighbour) {
                Emulator.ok(c.b.iommuMapDma(c.container, c.mapArgs((1 << 20) + PAGE, mem.address() + PAGE, PAGE)), "MAP_DMA");
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            c.close();
        }
    }

    /** The seam with 256 MiB registered and a created 64-bit window (4 KiB TCEs, 4 GiB). */
    @State(Scope.Thread)
    public static class Large {
        Emulator.RawContainer c;
        long windowStart;
        MemorySegment map;
        MemorySegment unmap;

        @Setup(Level.Trial)
        public void setup() {
            c = new Emulator.RawContainer(Emulator.newBackend());
            MemorySegment mem = c.registered(TCES * PAGE);
            windowStart = c.createWindow(12, 1L << 32);
            map = c.mapArgs(windowStart, mem.address(), TCES * PAGE);
            unmap = c.unmapArgs(windowStart, TCES * PAGE);
            Emulator.ok(c.b.iommuMapDma(c.container, map), "MAP_DMA of 65536 TCEs");
            Emulator.ok(c.b.iommuUnmapDma(c.container, unmap), "UNMAP_DMA of 65536 TCEs");
        }

        @TearDown(Level.Trial)
        public void close() {
            c.close();
        }
    }

    /** Container.map + Container.unmap of one 4 KiB page: everything from the public API down. */
    @Benchmark
    public void apiMapUnmap4K(Api s) throws VfioException {
        s.container.map(s.iova, s.vaddr, PAGE, DmaDirection.BIDIRECTIONAL);
        s.container.unmap(s.iova, PAGE);
    }

    /** The same through the benchmark thread's {@link DmaMapper}: a driver's hot path. */
    @Benchmark
    public void apiMapperMapUnmap4K(Api s) throws VfioException {
        s.mapper.map(s.iova, s.vaddr, PAGE, DmaDirection.BIDIRECTIONAL);
        s.mapper.unmap(s.iova, PAGE);
    }

    /** The same two calls on the emulator's seam: what the emulator itself costs and allocates. */
    @Benchmark
    public long seamMapUnmap4K(Seam s) {
        long r = s.c.b.iommuMapDma(s.c.container, s.map);
        return r | s.c.b.iommuUnmapDma(s.c.container, s.unmap);
    }

    /** MAP_DMA + UNMAP_DMA of 65536 4 KiB TCEs in a 64-bit window; the score is ns per TCE (mapped and unmapped). */
    @Benchmark
    @OperationsPerInvocation(TCES)
    public long emulatorMapUnmapPerTce(Large s) {
        long r = s.c.b.iommuMapDma(s.c.container, s.map);
        return r | s.c.b.iommuUnmapDma(s.c.container, s.unmap);
    }
}
