package io.jvfio.scenario;

import io.jvfio.abi.U32;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.abi.vfio_group_status;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.PlatformFault;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs a parsed scenario over a {@link VfioBackend}, one result per step, with the shared rules of
 * scenario-format.md: the container is opened once before step 1; a group or device that is not open
 * is fd -1 and its ops are still issued; a failed open leaves the current group as it was; a failed
 * alloc leaves address 0; a freed buffer keeps its old address. Everything the run opened is closed
 * at the end, devices first, then groups, the container, and last the buffers.
 *
 * <p>Where the backend reports a call on which the real kernel oopses (a {@link PlatformFault} of kind
 * {@link PlatformFault.Kind#KERNEL_BUG}), the step's result is {@code KERNEL-BUG} and the run stops there (exit status 4).
 */
public final class ScenarioRunner {
    /** The container node, opened once before step 1. */
    public static final String CONTAINER_PATH = "/dev/vfio/vfio";

    /** Struct buffers are at least the struct and at most this much larger, whatever argsz says. */
    private static final long MAX_STRUCT_BYTES = 64 * 1024;

    private final VfioBackend backend;
    /** Choose among an EXPECT's per-kernel alternatives (a change the release carries, its PAGE_SIZE). */
    private final String kernelRelease;

    public ScenarioRunner(VfioBackend backend) {
        this.backend = backend;
        this.kernelRelease = backend.kernelRelease();
    }

    /** What a run gave. */
    public record Outcome(List<StepResult> results, int exitStatus) {
        public Outcome {
            results = List.copyOf(results);
        }

        public boolean kernelBug() {
            return exitStatus == ExitStatus.KERNEL_BUG;
        }

        public long mismatches() {
            return results.stream().filter(StepResult::mismatch).count();
        }
    }

    /** Runs {@code scenario}, handing each step's result to {@code sink} as soon as it is known. */
    public Outcome run(Scenario scenario, Consumer<StepResult> sink) throws ScenarioStartException {
        return run(scenario, step -> {}, sink);
    }

    /** As {@link #run(Scenario, Consumer)}, telling {@code before} each step just before it runs. */
    public Outcome run(Scenario scenario, Consumer<Step> before, Consumer<StepResult> sink) throws ScenarioStartException {
        List<StepResult> results = new ArrayList<>();
        int status = ExitStatus.OK;
        try (Session s = open()) {
            for (Step step : scenario.steps()) {
                before.accept(step);
                StepResult r = s.execute(step);
                results.add(r);
                sink.accept(r);
                if (r.status() == StepResult.Status.KERNEL_BUG) {
                    status = ExitStatus.KERNEL_BUG;
                    break;
                }
                if (r.mismatch()) {
                    status = ExitStatus.MISMATCH;
                }
            }
        }
        return new Outcome(results, status);
    }

    /** Runs {@code scenario} and collects the results. */
    public Outcome run(Scenario scenario) throws ScenarioStartException {
        return run(scenario, r -> {});
    }

    /**
     * Opens the container and returns a session that executes steps one at a time, for callers that
     * decide the next step from the last result ({@code jvfio probe}). Closing it closes everything it
     * opened.
     */
    public Session open() throws ScenarioStartException {
        return new Session();
    }

    /**
     * A buffer named in the scenario ({@code arena} null when the alloc failed). {@code free} unmaps it
     * but keeps its address range reserved until the run ends, so no later {@code alloc} lands there: the
     * kernel keys leaked registrations by address, and a reused range would make results depend on the
     * allocator rather than on the scenario.
     */
    private final class Buffer {
        final long address;
        final long size;
        final MemorySegment segment;
        final Arena arena;
        boolean freed;

        Buffer(MemorySegment segment, long size, Arena arena) {
            this.address = segment == null ? 0 : segment.address();
            this.size = size;
            this.segment = segment;
            this.arena = arena;
        }

        void free() {
            if (!freed && arena != null) {
                try {
                    backend.unmapKeepingRange(segment);
                } catch (ErrnoException e) {
                    arena.close(); // a range that cannot be reserved (a partial huge page) is unmapped
                }
            }
            freed = true;
        }

        /** At the end of the run: the memory, or its reservation, goes. */
        void release() {
            if (arena != null && arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    /** The handles of one run: the container, the current group and device, the buffers. */
    public final class Session implements AutoCloseable {
        private int container;
        /** Containers by scenario number (1: opened before step 1), and each group's last opened fd. */
        private final Map<Long, Integer> containers = new java.util.LinkedHashMap<>();
        private final Map<Long, Integer> groupsByNumber = new HashMap<>();
        private int group = -1;
        private int device = -1;
        private final List<Integer> groupFds = new ArrayList<>();
        private final List<Integer> deviceFds = new ArrayList<>();
        private final Map<String, Buffer> buffers = new HashMap<>();
        private final List<Buffer> allBuffers = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private int steps;
        private boolean closed;

        private Session() throws ScenarioStartException {
            int fd = backend.open(CONTAINER_PATH);
            if (fd < 0) {
                throw new ScenarioStartException(CONTAINER_PATH, -fd);
            }
            container = fd;
            containers.put(1L, fd);
        }

        /**
         * Executes one step and checks its EXPECT. A call on which the real kernel would have oopsed
         * (a {@link PlatformFault.Kind#KERNEL_BUG} fault) gives a {@code KERNEL-BUG} result; a hypervisor
         * abort propagates (there is no platform left to run on).
         */
        public StepResult execute(Step step) {
            steps++;
            StepResult r;
            try (Arena a = Arena.ofConfined()) {
                r = execute(step, a);
            } catch (PlatformFault e) {
                if (e.kind() != PlatformFault.Kind.KERNEL_BUG) {
                    throw e;
                }
                r = StepResult.kernelBug(step, e.getMessage());
            }
            return r.checkedAgainst(step.expect() == null ? null : step.expect().forKernel(kernelRelease, backend.pageSize()));
        }

        /** Parses and executes one operation line ({@code "create 16 1G 1"}), numbered as the next step. */
        public StepResult execute(String line) throws ScenarioSyntaxException {
            Step step = ScenarioParser.parseStep(line, steps + 1, names);
            if (step == null) {
                throw new ScenarioSyntaxException(List.of(new ScenarioSyntaxException.Error("<step>", steps + 1, "no operation in '" + line + "'")));
            }
            return execute(step);
        }

        private StepResult execute(Step st, Arena a) {
            return switch (st.action()) {
                case Action.ApiVersion x -> value(st, backend.getApiVersion(container));
                case Action.CheckExtension x -> value(st, backend.checkExtension(container, x.extension()));
                case Action.OpenGroup x -> {
                    int fd = backend.open(x.path());
                    if (fd < 0) {
                        yield StepResult.errno(st, -fd);
                    }
                    groupFds.add(fd);
                    groupsByNumber.put(x.group(), fd);
                    group = fd;
                    yield StepResult.ok(st, Map.of());
                }
                case Action.UseGroup x -> {
                    group = groupsByNumber.getOrDefault(x.group(), -1);
                    yield StepResult.ok(st, Map.of());
                }
                case Action.UseContainer x -> {
                    Integer fd = containers.get(x.container());
                    if (fd == null) {
                        int opened = backend.open(CONTAINER_PATH);
                        if (opened < 0) {
                            yield StepResult.errno(st, -opened);
                        }
                        containers.put(x.container(), opened);
                        fd = opened;
                    }
                    container = fd;
                    yield StepResult.ok(st, Map.of());
                }
                case Action.GroupStatus x -> {
                    MemorySegment s = overrides(st, vfio_group_status.fill(arg(a, st, vfio_group_status.SIZE)),
                            vfio_group_status.argsz, vfio_group_status.flags);
                    yield result(st, backend.groupGetStatus(group, s), () -> out("flags", vfio_group_status.flags.getUnsigned(s)));
                }
                case Action.SetContainer x -> plain(st, backend.groupSetContainer(group, container));
                case Action.UnsetContainer x -> plain(st, backend.groupUnsetContainer(group));
                case Action.SetIommu x -> plain(st, backend.setIommu(container, x.type()));
                case Action.TceInfo x -> {
                    MemorySegment s = overrides(st, vfio_iommu_spapr_tce_info.fill(arg(a, st, vfio_iommu_spapr_tce_info.SIZE)),
                            vfio_iommu_spapr_tce_info.argsz, vfio_iommu_spapr_tce_info.flags);
                    yield result(st, backend.spaprTceGetInfo(container, s), () -> {
                        Map<String, Long> m = new LinkedHashMap<>();
                        m.put("flags", vfio_iommu_spapr_tce_info.flags.getUnsigned(s));
                        m.put("dma32_start", vfio_iommu_spapr_tce_info.dma32_window_start.getUnsigned(s));
                        m.put("dma32_size", vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(s));
                        m.put("pgsizes", vfio_iommu_spapr_tce_info.ddw_pgsizes.get(s));
                        m.put("max_windows", vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.getUnsigned(s));
                        m.put("levels", vfio_iommu_spapr_tce_info.ddw_levels.getUnsigned(s));
                        return m;
                    });
                }
                case Action.Enable x -> plain(st, backend.iommuEnable(container));
                case Action.Disable x -> plain(st, backend.iommuDisable(container));
                case Action.Alloc x -> alloc(st, x);
                case Action.Free x -> {
                    buffer(x.name()).free();
                    yield StepResult.ok(st, Map.of());
                }
                case Action.Register x -> {
                    Buffer b = buffer(x.name());
                    yield plain(st, backend.spaprRegisterMemory(container, registration(a, st, b, x.offset(), x.size())));
                }
                case Action.Unregister x -> {
                    Buffer b = buffer(x.name());
                    yield plain(st, backend.spaprUnregisterMemory(container, registration(a, st, b, x.offset(), x.size())));
                }
                case Action.Map x -> {
                    MemorySegment s = overrides(st, vfio_iommu_type1_dma_map.fill(arg(a, st, vfio_iommu_type1_dma_map.SIZE),
                            x.flags(), st.vaddr() != null ? st.vaddr() : buffer(x.name()).address + x.offset(), x.iova(), x.size()),
                            vfio_iommu_type1_dma_map.argsz, vfio_iommu_type1_dma_map.flags);
                    yield plain(st, backend.iommuMapDma(container, s));
                }
                case Action.Unmap x -> {
                    MemorySegment s = overrides(st, vfio_iommu_type1_dma_unmap.fill(arg(a, st, vfio_iommu_type1_dma_unmap.SIZE),
                            x.iova(), x.size()), vfio_iommu_type1_dma_unmap.argsz, vfio_iommu_type1_dma_unmap.flags);
                    yield plain(st, backend.iommuUnmapDma(container, s));
                }
                case Action.Create x -> {
                    MemorySegment s = overrides(st, vfio_iommu_spapr_tce_create.fill(arg(a, st, vfio_iommu_spapr_tce_create.SIZE),
                            x.pageShift(), x.windowSize(), x.levels()),
                            vfio_iommu_spapr_tce_create.argsz, vfio_iommu_spapr_tce_create.flags);
                    yield result(st, backend.spaprTceCreate(container, s),
                            () -> out("start", vfio_iommu_spapr_tce_create.start_addr.get(s)));
                }
                case Action.Remove x -> {
                    MemorySegment s = overrides(st, vfio_iommu_spapr_tce_remove.fill(arg(a, st, vfio_iommu_spapr_tce_remove.SIZE),
                            x.start()), vfio_iommu_spapr_tce_remove.argsz, vfio_iommu_spapr_tce_remove.flags);
                    yield plain(st, backend.spaprTceRemove(container, s));
                }
                case Action.Device x -> {
                    long fd = backend.groupGetDeviceFd(group, x.address());
                    if (fd < 0) {
                        yield StepResult.errno(st, (int) -fd);
                    }
                    deviceFds.add((int) fd);
                    device = (int) fd;
                    yield StepResult.ok(st, Map.of());
                }
                case Action.DeviceInfo x -> {
                    MemorySegment s = overrides(st, vfio_device_info.fill(arg(a, st, vfio_device_info.SIZE)),
                            vfio_device_info.argsz, vfio_device_info.flags);
                    yield result(st, backend.deviceGetInfo(device, s), () -> {
                        Map<String, Long> m = new LinkedHashMap<>();
                        m.put("flags", vfio_device_info.flags.getUnsigned(s));
                        m.put("regions", vfio_device_info.num_regions.getUnsigned(s));
                        m.put("irqs", vfio_device_info.num_irqs.getUnsigned(s));
                        return m;
                    });
                }
                case Action.RegionInfo x -> {
                    MemorySegment s = overrides(st, vfio_region_info.fill(arg(a, st, vfio_region_info.SIZE), x.index()),
                            vfio_region_info.argsz, vfio_region_info.flags);
                    yield result(st, backend.deviceGetRegionInfo(device, s), () -> {
                        Map<String, Long> m = new LinkedHashMap<>();
                        m.put("size", vfio_region_info.size.get(s));
                        m.put("offset", vfio_region_info.offset.get(s));
                        m.put("flags", vfio_region_info.flags.getUnsigned(s));
                        return m;
                    });
                }
                case Action.CloseDevice x -> {
                    int fd = device;
                    int r = backend.close(fd);
                    deviceFds.remove(Integer.valueOf(fd));
                    device = -1;
                    yield plain(st, r);
                }
                case Action.Eeh x -> {
                    MemorySegment s = overrides(st, vfio_eeh_pe_op.fill(arg(a, st, vfio_eeh_pe_op.SIZE), x.peOp()),
                            vfio_eeh_pe_op.argsz, vfio_eeh_pe_op.flags);
                    yield value(st, backend.eehPeOp(container, s));
                }
            };
        }

        private StepResult alloc(Step st, Action.Alloc x) {
            Arena arena = Arena.ofShared();
            Buffer b;
            StepResult r;
            try {
                MemorySegment seg = backend.mmapAnonymous(x.size(), x.hugetlb(), arena);
                b = new Buffer(seg, x.size(), arena);
                r = StepResult.ok(st, Map.of());
            } catch (ErrnoException e) {
                arena.close();
                b = new Buffer(null, x.size(), null);
                r = StepResult.errno(st, e.errno());
            }
            buffers.put(x.name(), b);
            names.add(x.name());
            allBuffers.add(b);
            return r;
        }

        /** A buffer by name; a name never alloc'ed (only possible outside a parsed file) is address 0, size 0. */
        private Buffer buffer(String name) {
            return buffers.computeIfAbsent(name, n -> new Buffer(null, 0, null));
        }

        private MemorySegment registration(Arena a, Step st, Buffer b, Long offset, Long size) {
            MemorySegment s = vfio_iommu_spapr_register_memory.fill(arg(a, st, vfio_iommu_spapr_register_memory.SIZE),
                    st.vaddr() != null ? st.vaddr() : b.address + (offset == null ? 0 : offset), size == null ? b.size : size);
            return overrides(st, s, vfio_iommu_spapr_register_memory.argsz, vfio_iommu_spapr_register_memory.flags);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            // Devices before groups before the container (the kernel refuses to detach a group with
            // open devices), and memory last, once nothing can have it mapped or pinned.
            for (int fd : deviceFds) {
                quietly(() -> backend.close(fd));
            }
            for (int fd : groupFds) {
                quietly(() -> backend.close(fd));
            }
            for (int fd : containers.values()) {
                quietly(() -> backend.close(fd));
            }
            for (Buffer b : allBuffers) {
                b.release();
            }
        }

        private void quietly(Runnable r) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // After a KERNEL-BUG the emulator may refuse more calls; cleanup goes on regardless.
            }
        }
    }

    /** Zeroed room for a struct of {@code size} bytes, or for the step's argsz when that is larger. */
    private static MemorySegment arg(Arena a, Step st, long size) {
        long argszValue = st.argsz() != null ? st.argsz() : size;
        return a.allocate(Math.max(size, Math.min(argszValue, MAX_STRUCT_BYTES)), 8);
    }

    /** The step's argsz and flags overrides on an argument the struct's builder filled. */
    private static MemorySegment overrides(Step st, MemorySegment s, U32 argsz, U32 flags) {
        if (st.argsz() != null) {
            argsz.set(s, (int) (long) st.argsz());
        }
        if (st.flags() != null) {
            flags.set(s, (int) (long) st.flags());
        }
        return s;
    }

    private static Map<String, Long> out(String field, long value) {
        return Map.of(field, value);
    }

    /** An op without out fields: ok, ret=N or the errno. */
    private static StepResult plain(Step st, long ret) {
        return result(st, ret, Map::of);
    }

    /** ok with the out fields read after a zero return, ret=N for a positive one, or the errno. */
    private static StepResult result(Step st, long ret, Supplier<Map<String, Long>> out) {
        if (ret < 0) {
            return StepResult.errno(st, (int) -ret);
        }
        if (ret > 0) {
            return StepResult.ret(st, ret);
        }
        return StepResult.ok(st, out.get());
    }

    /** A {@code value=} op: the return is the value (eeh prints it only when positive). */
    private static StepResult value(Step st, long ret) {
        if (ret < 0) {
            return StepResult.errno(st, (int) -ret);
        }
        if (ret == 0 && st.op() == Op.EEH) {
            return StepResult.ok(st, Map.of());
        }
        return StepResult.ok(st, Map.of("value", ret));
    }
}
