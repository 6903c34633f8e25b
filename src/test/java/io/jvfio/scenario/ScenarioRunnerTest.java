package io.jvfio.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.backend.Errno;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runner's mechanics, over a recording backend (the semantics are the emulator's and the kernel's). */
class ScenarioRunnerTest {
    final FakeBackend fake = new FakeBackend();

    ScenarioRunner.Outcome run(String text) throws Exception {
        return new ScenarioRunner(fake).run(ScenarioParser.parse("t.scn", text));
    }

    static List<String> lines(ScenarioRunner.Outcome o) {
        return o.results().stream().flatMap(r -> ResultFormat.text(r).stream()).toList();
    }

    static MemorySegment seg(FakeBackend.Call c) {
        return MemorySegment.ofArray(c.struct());
    }

    @Test
    void containerOpenedOnceBeforeStepOneAndEverythingClosedAfter() throws Exception {
        run("open-group 0\nset-container\nopen-group 1\ndevice 0000:00:00.0\nalloc a 64K\nalloc b 64K hugetlb\n");
        assertEquals("open:/dev/vfio/vfio", fake.calls.getFirst().method());
        assertEquals(1, fake.calls("open:/dev/vfio/vfio").size());
        assertTrue(fake.open.isEmpty(), "fds left open: " + fake.open);
        assertEquals(2, fake.unmapped);
        // devices, then groups, then the container
        List<Integer> closed = fake.calls("close").stream().map(FakeBackend.Call::fd).toList();
        assertEquals(List.of(6, 4, 5, 3), closed);
    }

    @Test
    void missingContainerIsExitThree() {
        fake.existing.remove("/dev/vfio/vfio");
        ScenarioStartException e = assertThrows(ScenarioStartException.class, () -> run("api-version"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/dev/vfio/vfio"));
    }

    @Test
    void missingFdsAreStillIssued() throws Exception {
        ScenarioRunner.Outcome o = run("group-status\nset-container\ndevice-info\nclose-device\nregion-info 0\n");
        assertEquals(List.of("1: group-status -> EBADF", "2: set-container -> EBADF", "3: device-info -> EBADF",
                "4: close-device -> EBADF", "5: region-info 0 -> EBADF"), lines(o));
        assertEquals(-1, fake.calls("groupGetStatus").getFirst().fd());
        assertEquals(-1, fake.calls("deviceGetInfo").getFirst().fd());
    }

    @Test
    void failedOpenLeavesTheCurrentGroup() throws Exception {
        fake.openErrno.put("/dev/vfio/1", Errno.EBUSY);
        ScenarioRunner.Outcome o = run("open-group 0\nopen-group 1\nopen-group 9\nset-container\nopen-group 0\nset-container\n");
        assertEquals(List.of("1: open-group 0 -> ok", "2: open-group 1 -> EBUSY", "3: open-group 9 -> ENOENT",
                "4: set-container -> ok", "5: open-group 0 -> ok", "6: set-container -> ok"), lines(o));
        List<FakeBackend.Call> sc = fake.calls("groupSetContainer");
        assertEquals(4, sc.get(0).fd());
        assertEquals(5, sc.get(1).fd(), "a re-open really opens again and becomes current");
        assertEquals(3, sc.get(0).arg(), "the container fd");
    }

    @Test
    void overridesAndDefaultsInTheStructs() throws Exception {
        run("alloc b 1M\nmap 0x1000 4K b+0x2000 r\nmap 0 4K b flags=7 argsz=16\nunmap 0 64K argsz=8\ncreate 16 1G 1 flags=1\n"
                + "tce-info\ntce-info argsz=16\nregister b\nregister b 64K 128K\n");
        List<FakeBackend.Call> maps = fake.calls("iommuMapDma");
        MemorySegment m = seg(maps.get(0));
        assertEquals(32, vfio_iommu_type1_dma_map.argsz.get(m));
        assertEquals(1, vfio_iommu_type1_dma_map.flags.get(m));
        assertEquals(0x1000, vfio_iommu_type1_dma_map.iova.get(m));
        assertEquals(4096, vfio_iommu_type1_dma_map.size.get(m));
        assertEquals(fake.mapped.getFirst() + 0x2000, vfio_iommu_type1_dma_map.vaddr.get(m));
        MemorySegment m2 = seg(maps.get(1));
        assertEquals(16, vfio_iommu_type1_dma_map.argsz.get(m2));
        assertEquals(7, vfio_iommu_type1_dma_map.flags.get(m2));
        assertEquals(8, vfio_iommu_type1_dma_unmap.argsz.get(seg(fake.calls("iommuUnmapDma").getFirst())));
        MemorySegment c = seg(fake.calls("spaprTceCreate").getFirst());
        assertEquals(40, vfio_iommu_spapr_tce_create.argsz.get(c));
        assertEquals(1, vfio_iommu_spapr_tce_create.flags.get(c));
        assertEquals(16, vfio_iommu_spapr_tce_create.page_shift.get(c));
        assertEquals(1L << 30, vfio_iommu_spapr_tce_create.window_size.get(c));
        assertEquals(1, vfio_iommu_spapr_tce_create.levels.get(c));
        assertEquals(32, vfio_iommu_spapr_tce_info.argsz.get(seg(fake.calls("spaprTceGetInfo").get(0))));
        assertEquals(16, vfio_iommu_spapr_tce_info.argsz.get(seg(fake.calls("spaprTceGetInfo").get(1))));
        MemorySegment r1 = seg(fake.calls("spaprRegisterMemory").get(0));
        assertEquals(fake.mapped.getFirst(), vfio_iommu_spapr_register_memory.vaddr.get(r1));
        assertEquals(1L << 20, vfio_iommu_spapr_register_memory.size.get(r1));
        MemorySegment r2 = seg(fake.calls("spaprRegisterMemory").get(1));
        assertEquals(fake.mapped.getFirst() + 65536, vfio_iommu_spapr_register_memory.vaddr.get(r2));
        assertEquals(128 << 10, vfio_iommu_spapr_register_memory.size.get(r2));
    }

    @Test
    void vaddrOverrideReplacesTheBuffersAddress() throws Exception {
        run("alloc b 1M\nmap 0 4K b+0x2000 vaddr=0xfffffffffffff000\nregister b vaddr=0\nunregister b 0 4K vaddr=1\n");
        assertEquals(0xfffffffffffff000L, vfio_iommu_type1_dma_map.vaddr.get(seg(fake.calls("iommuMapDma").getFirst())));
        MemorySegment r = seg(fake.calls("spaprRegisterMemory").getFirst());
        assertEquals(0, vfio_iommu_spapr_register_memory.vaddr.get(r));
        assertEquals(1L << 20, vfio_iommu_spapr_register_memory.size.get(r));
        MemorySegment u = seg(fake.calls("spaprUnregisterMemory").getFirst());
        assertEquals(1, vfio_iommu_spapr_register_memory.vaddr.get(u));
        assertEquals(4096, vfio_iommu_spapr_register_memory.size.get(u));
    }

    @Test
    void failedAllocIsAddressZeroAndFreedBufferKeepsItsAddress() throws Exception {
        fake.hugeErrno = Errno.ENOMEM;
        ScenarioRunner.Outcome o = run("alloc h 4M hugetlb\nregister h\nalloc b 64K\nfree b\nregister b\nfree b\n");
        assertEquals(List.of("1: alloc h 4M hugetlb -> ENOMEM", "2: register h -> ok", "3: alloc b 64K -> ok",
                "4: free b -> ok", "5: register b -> ok", "6: free b -> ok"), lines(o));
        List<FakeBackend.Call> regs = fake.calls("spaprRegisterMemory");
        assertEquals(0, vfio_iommu_spapr_register_memory.vaddr.get(seg(regs.get(0))));
        assertEquals(4L << 20, vfio_iommu_spapr_register_memory.size.get(seg(regs.get(0))));
        assertEquals(fake.mapped.getFirst(), vfio_iommu_spapr_register_memory.vaddr.get(seg(regs.get(1))));
        assertEquals(List.of(fake.mapped.getFirst()), fake.reserved, "free keeps the range reserved, once");
        assertEquals(1, fake.unmapped, "the reservation goes at cleanup, once");
    }

    @Test
    void positiveReturnsAndValues() throws Exception {
        fake.answer = c -> switch (c.method()) {
            case "getApiVersion" -> 0;
            case "checkExtension" -> c.arg() == 7 ? 1 : 0;
            case "iommuUnmapDma", "spaprTceCreate" -> 1;
            case "eehPeOp" -> 5;
            default -> 0;
        };
        ScenarioRunner.Outcome o = run("api-version\ncheck-extension spapr-v2\ncheck-extension 1\nunmap 0x1001 4K -> ret=1\n"
                + "create 12 1G 1\neeh get-state -> ok value=5\n");
        assertEquals(List.of("1: api-version -> ok value=0", "2: check-extension spapr-v2 -> ok value=1",
                "3: check-extension 1 -> ok value=0", "4: unmap 0x1001 4K -> ret=1", "5: create 12 1G 1 -> ret=1",
                "6: eeh get-state -> ok value=5"), lines(o));
        assertEquals(ExitStatus.OK, o.exitStatus());
    }

    @Test
    void eehPrintsValueOnlyWhenPositive() throws Exception {
        assertEquals(List.of("1: eeh enable -> ok"), lines(run("eeh enable")));
    }

    @Test
    void mismatchGoesOnAndExitsOne() throws Exception {
        ScenarioRunner.Outcome o = run("group-status -> ok\napi-version -> ok value=0\nopen-group 5 -> ENOENT\n");
        assertEquals(List.of("1: group-status -> EBADF", "MISMATCH expected ok", "2: api-version -> ok value=0",
                "3: open-group 5 -> ENOENT"), lines(o));
        assertEquals(ExitStatus.MISMATCH, o.exitStatus());
        assertEquals(1, o.mismatches());
    }

    @Test
    void deviceBecomesCurrentAndCloseDeviceForgetsIt() throws Exception {
        fake.answer = c -> c.method().equals("groupGetDeviceFd:bad") ? -Errno.ENODEV : 0;
        ScenarioRunner.Outcome o = run("open-group 0\ndevice 0000:00:00.0\ndevice bad\ndevice-info\nclose-device\ndevice-info\n");
        assertEquals(List.of("1: open-group 0 -> ok", "2: device 0000:00:00.0 -> ok", "3: device bad -> ENODEV",
                "4: device-info -> ok flags=0x0 regions=0 irqs=0", "5: close-device -> ok", "6: device-info -> EBADF"), lines(o));
        assertEquals(5, fake.calls("deviceGetInfo").getFirst().fd());
    }

    @Test
    void sessionsRunOneStepAtATime() throws Exception {
        try (ScenarioRunner.Session s = new ScenarioRunner(fake).open()) {
            assertEquals("1: open-group 0 -> ok", s.execute("open-group 0").text());
            assertEquals("2: alloc x 64K -> ok", s.execute("alloc x 64K").text());
            assertEquals("3: register x -> ok", s.execute("register x").text());
            assertThrows(ScenarioSyntaxException.class, () -> s.execute("register y"));
        }
        assertTrue(fake.open.isEmpty());
    }
}
