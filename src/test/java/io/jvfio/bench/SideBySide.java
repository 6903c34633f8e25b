package io.jvfio.bench;

import io.jvfio.Container;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaMapper;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.backend.VfioBackend;
import io.jvfio.backend.kernel.KernelBackend;
import io.jvfio.backend.kernel.LibC;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jnr.ffi.Pointer;

/**
 * The binding rows of the JMH benchmarks measured as ratios the way a loaded machine can still answer:
 * all paths in ONE JVM, interleaved. Each round times one batch of every path (a few milliseconds each,
 * the order rotated per round; about a millisecond each, shorter than a scheduler time slice), so a burst of load from elsewhere hits the paths of that round alike; a
 * ratio is the median over the rounds of the per-round ratio, with its quartiles. C runs in this very
 * process, as loops in {@code libjvfionoop.so} ({@code jvfio_ioctl_loop}, {@code jvfio_noop_loop}) called
 * once per batch: the fd table is shared by the JVM's threads, as in {@code fionread_bench thread}.
 *
 * <p>Three groups: {@code ioctl(FIONREAD)} on a pipe, the same call shape into a C no-op, and MAP+UNMAP
 * of one page on the emulator (the public API's {@link Container}, its {@link DmaMapper}, the bare seam;
 * the next page stays mapped). Usage: {@code SideBySide [ROUNDS [WARMUP_ROUNDS]] > side-by-side.md}; the
 * system property {@code jvfio.bench.groups} (default {@code ioctl,noop,emulator}) picks groups.
 */
public final class SideBySide {
    private SideBySide() {}

    /** One path: runs {@code calls} operations, returns a value depending on all of them. */
    interface Batch {
        long run(long calls) throws Throwable;
    }

    record Row(String name, long calls, Batch batch) {}

    // ---- the ioctl round trip ------------------------------------------------------------------------

    static int fd;
    static MemorySegment n;
    static MemorySegment errnoBuffer;
    static Pointer jnrN;
    /** Not final: called through the interface, as the public API calls its backend. */
    static VfioBackend seam = new KernelBackend();
    static final MethodHandle C_IOCTL_LOOP = loop("jvfio_ioctl_loop");
    static final MethodHandle C_NOOP_LOOP = loop("jvfio_noop_loop");

    private static MethodHandle loop(String symbol) {
        return Native.LINKER.downcallHandle(Native.noopSymbol(symbol), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    static long cIoctl(long calls) throws Throwable {
        return (long) C_IOCTL_LOOP.invokeExact(fd, Native.FIONREAD, n, calls);
    }

    static long seam(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += seam.ioctl(fd, (int) Native.FIONREAD, n);
        }
        return s;
    }

    static long seamCallerBuffer(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += seam.ioctl(fd, (int) Native.FIONREAD, n, errnoBuffer);
        }
        return s;
    }

    static long libc(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += LibC.ioctl(fd, Native.FIONREAD, n);
        }
        return s;
    }

    static long libcCallerBuffer(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += LibC.ioctl(errnoBuffer, fd, Native.FIONREAD, n);
        }
        return s;
    }

    static long ffmNoCapture(long calls) throws Throwable {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += (int) IoctlBench.IOCTL_NO_CAPTURE.invokeExact(fd, Native.FIONREAD, n);
        }
        return s;
    }

    static long jnr(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += Native.jnrResult(IoctlBench.JNR, IoctlBench.JNR.call(fd, Native.FIONREAD, jnrN));
        }
        return s;
    }

    // ---- the no-op -------------------------------------------------------------------------------------

    static final NoopBench.Args NOOP_ARGS = new NoopBench.Args();

    static long cNoop(long calls) throws Throwable {
        return (long) C_NOOP_LOOP.invokeExact(NOOP_ARGS.fd, NOOP_ARGS.request, NOOP_ARGS.arg, calls);
    }

    static long noopJvfio(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += NoopBench.jvfio(NoopBench.Target.NOOP, NOOP_ARGS);
        }
        return s;
    }

    static long noopJvfioCallerBuffer(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += NoopBench.jvfioCallerBuffer(NoopBench.Target.NOOP, NOOP_ARGS);
        }
        return s;
    }

    static long noopNoCapture(long calls) throws Throwable {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += NoopBench.ffmNoCapture(NoopBench.Target.NOOP, NOOP_ARGS);
        }
        return s;
    }

    static long noopJnr(long calls) {
        long s = 0;
        for (long i = 0; i < calls; i++) {
            s += NoopBench.jnr(NoopBench.Target.NOOP, NOOP_ARGS);
        }
        return s;
    }

    // ---- MAP+UNMAP on the emulator -------------------------------------------------------------------

    static final long PAGE = 4096;
    static Container container;
    static DmaMapper mapper;
    static long vaddr;
    static long iova;
    static Emulator.RawContainer raw;
    static MemorySegment rawMap;
    static MemorySegment rawUnmap;

    static long apiContainer(long calls) throws VfioException {
        for (long i = 0; i < calls; i++) {
            container.map(iova, vaddr, PAGE, DmaDirection.BIDIRECTIONAL);
            container.unmap(iova, PAGE);
        }
        return calls;
    }

    static long apiMapper(long calls) throws VfioException {
        for (long i = 0; i < calls; i++) {
            mapper.map(iova, vaddr, PAGE, DmaDirection.BIDIRECTIONAL);
            mapper.unmap(iova, PAGE);
        }
        return calls;
    }

    static long emulatorSeam(long calls) {
        long r = 0;
        for (long i = 0; i < calls; i++) {
            r |= raw.b.iommuMapDma(raw.container, rawMap);
            r |= raw.b.iommuUnmapDma(raw.container, rawUnmap);
        }
        return r;
    }

    public static void main(String[] args) throws Throwable {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1001;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Arena arena = Arena.ofAuto();
        MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
        if (LibC.pipe(fds) != 0) {
            throw new IllegalStateException("pipe failed");
        }
        fd = fds.getAtIndex(ValueLayout.JAVA_INT, 0);
        n = arena.allocate(ValueLayout.JAVA_INT);
        errnoBuffer = LibC.allocateErrnoBuffer(arena);
        jnrN = Native.jnrPointer(IoctlBench.JNR, n);
        NOOP_ARGS.setup();

        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Side by side in one JVM: %d rounds after %d warm-up rounds, each round one "
                + "batch of every path in rotated order; ns/call is the median (quartiles) over the rounds; a ratio is "
                + "the median (quartiles) of the per-round ratios.%n%n", rounds, warmup));

        String groups = System.getProperty("jvfio.bench.groups", "ioctl,noop,emulator");
        if (groups.contains("ioctl")) {
            md.append(table("ioctl(FIONREAD) on a pipe", rounds, warmup, List.of(
                new Row("C loop in this process (a shared fd table)", 4_000, SideBySide::cIoctl),
                new Row("jvfio: KernelBackend.ioctl (the seam)", 4_000, SideBySide::seam),
                new Row("jvfio: LibC.ioctl", 4_000, SideBySide::libc),
                new Row("jvfio: the seam, caller's errno buffer", 4_000, SideBySide::seamCallerBuffer),
                new Row("jvfio: LibC.ioctl, caller's errno buffer", 4_000, SideBySide::libcCallerBuffer),
                new Row("FFM without errno capture", 4_000, SideBySide::ffmNoCapture),
                new Row("JNR (jnr-ffi, @SaveError)", 4_000, SideBySide::jnr)),
                new int[][] {{1, 2}, {3, 4}, {1, 6}, {2, 6}, {3, 6}, {3, 5}}));
        }
        if (groups.contains("noop")) {
            md.append(table("the same call shape into a C no-op", rounds, warmup, List.of(
                new Row("C loop, call through a function pointer", 400_000, SideBySide::cNoop),
                new Row("jvfio: LibC path (per-thread errno buffer)", 100_000, SideBySide::noopJvfio),
                new Row("jvfio: LibC path, caller's errno buffer", 100_000, SideBySide::noopJvfioCallerBuffer),
                new Row("FFM without errno capture", 100_000, SideBySide::noopNoCapture),
                new Row("JNR (jnr-ffi, @SaveError)", 100_000, SideBySide::noopJnr)),
                new int[][] {{1, 4}, {2, 4}, {2, 3}}));
        }
        if (groups.contains("emulator") && Emulator.available()) {
            emulatorSetup();
            md.append(table("MAP+UNMAP of one 4 KiB page on the emulator (next page kept mapped), per pair", rounds,
                    warmup, List.of(
                            new Row("the emulator's seam (structs filled once)", 4_000, SideBySide::emulatorSeam),
                            new Row("public API: Container.map + unmap", 4_000, SideBySide::apiContainer),
                            new Row("public API: DmaMapper.map + unmap", 4_000, SideBySide::apiMapper)),
                    new int[][] {{1, 0}, {2, 0}, {2, 1}}));
        }
        LibC.close(fd);
        LibC.close(fds.getAtIndex(ValueLayout.JAVA_INT, 1));
        System.out.print(md);
        if (System.getProperty("jvfio.bench.out") != null) {
            Files.writeString(Path.of(System.getProperty("jvfio.bench.out")), md);
        }
    }

    private static void emulatorSetup() throws VfioException {
        Vfio vfio = Vfio.over(Emulator.newBackend());
        container = vfio.openContainer();
        Group group = vfio.openGroup(0);
        group.attach(container);
        container.setIommu(IommuType.SPAPR_TCE_V2);
        DmaBuffer buffer = vfio.allocate(16 * PAGE, false);
        container.registerMemory(buffer.segment());
        vaddr = buffer.address();
        iova = container.windows().get(0).start() + (1 << 20);
        container.map(iova + PAGE, vaddr + PAGE, PAGE, DmaDirection.BIDIRECTIONAL); // the neighbour
        mapper = container.mapper();
        raw = new Emulator.RawContainer(Emulator.newBackend());
        MemorySegment mem = raw.registered(16 * PAGE);
        rawMap = raw.mapArgs(1 << 20, mem.address(), PAGE);
        rawUnmap = raw.unmapArgs(1 << 20, PAGE);
        Emulator.ok(raw.b.iommuMapDma(raw.container, raw.mapArgs((1 << 20) + PAGE, mem.address() + PAGE, PAGE)), "MAP_DMA");
    }

    /**
     * Runs the rows interleaved and returns a markdown table: one line per row (ns per call, ratio to
     * row 0, the group's baseline) and one per pair in {@code ratios} ({@code {a, b}}: row a over row b).
     */
    static String table(String title, int rounds, int warmup, List<Row> rows, int[][] ratios) throws Throwable {
        int p = rows.size();
        double[][] ns = new double[p][rounds];
        long sink = 0;
        for (int r = -warmup; r < rounds; r++) {
            for (int k = 0; k < p; k++) {
                int i = Math.floorMod(k + r, p);
                Row row = rows.get(i);
                long t0 = System.nanoTime();
                sink += row.batch().run(row.calls());
                long dt = System.nanoTime() - t0;
                if (r >= 0) {
                    ns[i][r] = (double) dt / row.calls();
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append(String.format(Locale.ROOT, " (load %s)%n%n", load()));
        sb.append("| path | ns/call, median (quartiles) | ratio to the first row, median (quartiles) |\n|---|---:|---:|\n");
        for (int i = 0; i < p; i++) {
            sb.append("| ").append(rows.get(i).name()).append(" | ").append(quartiles(ns[i], 2)).append(" | ")
                    .append(i == 0 ? "1" : quartiles(ratio(ns[i], ns[0]), 3)).append(" |\n");
        }
        sb.append("\n| ratio | median (quartiles) | rounds where it is ≤ 1.01 |\n|---|---:|---:|\n");
        for (int[] pair : ratios) {
            double[] q = ratio(ns[pair[0]], ns[pair[1]]);
            long within = Arrays.stream(q).filter(x -> x <= 1.01).count();
            sb.append("| ").append(rows.get(pair[0]).name()).append(" / ").append(rows.get(pair[1]).name()).append(" | ")
                    .append(quartiles(q, 3)).append(" | ").append(within).append(" of ").append(q.length).append(" |\n");
        }
        sb.append(String.format(Locale.ROOT, "%n<!-- sink %d -->%n%n", sink));
        return sb.toString();
    }

    private static double[] ratio(double[] a, double[] b) {
        double[] q = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            q[r] = a[r] / b[r];
        }
        return q;
    }

    private static String quartiles(double[] v, int decimals) {
        double[] s = v.clone();
        Arrays.sort(s);
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " (" + f + "–" + f + ")", at(s, 0.5), at(s, 0.25), at(s, 0.75));
    }

    private static double at(double[] sorted, double q) {
        return sorted[(int) Math.round(q * (sorted.length - 1))];
    }

    private static String load() {
        try {
            List<String> f = new ArrayList<>(List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")));
            return "1/5/15-min load " + String.join(" ", f.subList(0, 3));
        } catch (IOException e) {
            return "unknown";
        }
    }
}
