package io.jvfio.driver.nvme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Vfio;
import io.jvfio.abi.Arch;
import io.jvfio.contract.Backends;
import io.jvfio.contract.Backends.Variant;
import io.jvfio.contract.UnprivilegedStage;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.PlannerOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two NVMe functions of one multi-function slot (issue 12, "Topologies"): one IOMMU group, opened
 * together from one group and one container (one {@link DmaSession}), the driver reading and writing
 * on each through the same windows: one buffer, mapped once, is the source and the destination of
 * both controllers' commands. The emulated rows run on {@code qemu-pseries-topology-nvme} with each
 * namespace on an image file; the kernel row runs in the topology guest ({@code make test-topology},
 * {@code GuestTopologyTest}), whose host checks {@link NvmePattern#perFunction} in the two image files after the guest exits.
 */
class NvmeMultiFunctionTest {
    /** A multi-function slot: its group and its functions, in function order. */
    record Slot(int group, List<String> functions) {}

    static Slot locate(Variant v) {
        if (v.emulated()) {
            return new Slot(Profile.TOPOLOGY_NVME_GROUP, Profile.TOPOLOGY_NVME_FUNCTIONS);
        }
        Optional<String> why = Backends.kernelUnavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElseThrow());
        Map<Integer, List<String>> byGroup = new TreeMap<>();
        for (NvmeHost.Location l : NvmeHost.kernelControllers()) {
            byGroup.computeIfAbsent(l.group(), g -> new ArrayList<>()).add(l.address());
        }
        Optional<Map.Entry<Integer, List<String>>> slot = byGroup.entrySet().stream()
                .filter(e -> e.getValue().size() >= 2).findFirst();
        Assumptions.assumeTrue(slot.isPresent(), "no two NVMe functions in one group bound to vfio-pci here: the "
                + "topology guest has a two-function slot (make test-topology)");
        Assumptions.assumeTrue(Boolean.getBoolean("jvfio.nvme.scratch"), "this test writes to the namespaces: "
                + "-Djvfio.nvme.scratch=true only on scratch devices (GuestTopologyTest's images)");
        return new Slot(slot.get().getKey(), slot.get().getValue().subList(0, 2));
    }

    /** The emulated rows' namespaces: one scratch image per function. */
    private static List<Path> images;

    static synchronized List<Path> emulatedImages() throws IOException {
        if (images == null) {
            List<Path> out = new ArrayList<>();
            for (int f = 0; f < Profile.TOPOLOGY_NVME_FUNCTIONS.size(); f++) {
                Path image = Files.createTempFile("jvfio-nvme-f" + f + "-", ".img");
                image.toFile().deleteOnExit();
                NvmePattern.createImage(image);
                out.add(image);
            }
            images = List.copyOf(out);
        }
        return images;
    }

    static Vfio vfio(Variant v) throws IOException {
        if (!v.emulated()) {
            return Vfio.kernel();
        }
        List<Path> img = emulatedImages();
        DeviceSpec[] functions = new DeviceSpec[img.size()];
        for (int f = 0; f < functions.length; f++) {
            functions[f] = DeviceSpec.nvme(Profile.TOPOLOGY_NVME_FUNCTIONS.get(f), img.get(f), 0);
        }
        return Vfio.over(new EmulatedBackend(UnprivilegedStage.applyCurrent(Profile.topologyNvme(functions)),
                v == Variant.EMULATED_X86_64 ? Arch.X86_64 : Arch.PPC64LE));
    }

    /**
     * Both controllers in one session: each writes its own pattern from its half of one mapped buffer,
     * then each reads back into the other half (crossed), so every byte both controllers move goes
     * through the same IOVAs of the same window; the namespaces stay apart.
     */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("io.jvfio.driver.nvme.NvmeDriverTest#variants")
    void twoFunctionsOneGroupOneContainerSameWindows(Variant v) throws IOException {
        Slot slot = locate(v);
        List<NvmePattern.Region> regions = List.of(NvmePattern.perFunction(0), NvmePattern.perFunction(1));
        NvmeOptions options = NvmeOptions.defaults();
        try (Vfio vfio = vfio(v); DmaSession s = DmaSession.open(vfio, slot.group(), NvmeController.sessionOptions(options)
                .withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true)))) {
            List<NvmeController> ctrls = new ArrayList<>();
            try {
                for (String fn : slot.functions()) {
                    ctrls.add(NvmeController.open(s, fn, options));
                }
                List<NvmeQueuePair> qs = new ArrayList<>();
                for (NvmeController c : ctrls) {
                    assertSame(s, c.session(), c.address() + ": the one session");
                    assertEquals(NvmePattern.IMAGE_BYTES / NvmePattern.BLOCK, c.namespace().blocks(), c.address());
                    qs.add(c.queuePair());
                }
                long half = (long) regions.getFirst().blocks() * NvmePattern.BLOCK;
                DmaMemory buf = s.allocate(2 * half);
                long iova = s.map(buf);
                assertTrue(s.window().containsRange(iova, 2 * half),
                        "the buffer is in the session's window: 0x" + Long.toHexString(iova) + "\n" + s.plan().toText());
                for (int f = 0; f < 2; f++) {
                    NvmePattern.Region r = regions.get(f);
                    MemorySegment.copy(r.bytes(), 0, buf.segment(), ValueLayout.JAVA_BYTE, f * half, (int) half);
                }
                for (int f = 0; f < 2; f++) {
                    qs.get(f).write(regions.get(f).lba(), regions.get(f).blocks(), buf, f * half);
                    qs.get(f).flush();
                }
                buf.segment().fill((byte) 0);
                for (int f = 0; f < 2; f++) {
                    qs.get(f).read(regions.get(f).lba(), regions.get(f).blocks(), buf, (1 - f) * half);
                }
                for (int f = 0; f < 2; f++) {
                    assertArrayEquals(regions.get(f).bytes(), buf.segment().asSlice((1 - f) * half, half)
                            .toArray(ValueLayout.JAVA_BYTE), slot.functions().get(f) + " read back through the shared buffer");
                    // each function still reads the host's pattern: both namespaces answer, each its own
                    assertArrayEquals(NvmePattern.HOST.bytes(), qs.get(f).read(NvmePattern.HOST.lba(), NvmePattern.HOST.blocks()),
                            slot.functions().get(f) + ": the host's pattern");
                }
                s.unmap(buf);
                for (NvmeQueuePair q : qs) {
                    q.close();
                }
            } finally {
                for (NvmeController c : ctrls) {
                    c.close();
                }
            }
        }
        if (v.emulated()) {
            for (int f = 0; f < 2; f++) {
                assertArrayEquals(regions.get(f).bytes(), NvmePattern.readImage(emulatedImages().get(f), regions.get(f)),
                        "image of function " + f + ", " + regions.get(f));
            }
        }
    }
}
