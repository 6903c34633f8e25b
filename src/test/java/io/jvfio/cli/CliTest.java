package io.jvfio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** The command line through picocli's execute, with stdout and stderr captured. */
class CliTest {
    @TempDir
    Path tmp;

    record Result(int status, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    static Result jvfio(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Result(status, out.toString(), err.toString());
    }

    Path file(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void abiPpc64le() {
        Result r = jvfio("abi", "--arch", "ppc64le");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("VFIO_GET_API_VERSION 0x20003b64\n"), r.out());
        assertTrue(r.out().contains("VFIO_IOMMU_SPAPR_TCE_CREATE 0x20003b77\n"), r.out());
        assertTrue(r.out().contains("VFIO_EEH_PE_OP 0x20003b79\n"), r.out());
        assertTrue(r.out().contains("struct vfio_iommu_spapr_tce_create 40\n"), r.out());
        assertTrue(r.out().contains("struct vfio_iommu_spapr_tce_info 32\n"), r.out());
        assertTrue(r.out().startsWith("arch ppc64le\n"));
    }

    @Test
    void abiX86AndJson() throws Exception {
        Result r = jvfio("abi", "--arch", "x86_64");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("VFIO_GET_API_VERSION 0x3b64\n"), r.out());
        assertTrue(r.out().contains("VFIO_IOMMU_SPAPR_TCE_REMOVE 0x3b78\n"), r.out());
        Result j = jvfio("abi", "--arch", "ppc64le", "--json");
        JsonNode n = new ObjectMapper().readTree(j.out());
        assertEquals(0x20003b64, n.get("ioctls").get("VFIO_GET_API_VERSION").asLong());
        assertEquals(26, n.get("ioctls").size(), "the 22 container/group/device ioctls and the 4 device-fd ones sharing numbers");
        assertEquals(24, n.get("structs").get("vfio_iommu_type1_dma_unmap").asInt());
        assertEquals(0, jvfio("abi").status(), "default: the host's");
    }

    @Test
    void abiUnknownArchIsOneLineAndTwo() {
        Result r = jvfio("abi", "--arch", "sparc");
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("sparc"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "abi", "info", "probe", "demo", "diff", "plan"})
    void helpAndVersionEverywhere(String cmd) {
        Result h = jvfio(cmd, "--help");
        assertEquals(0, h.status(), h.err());
        assertTrue(h.out().contains("Usage: jvfio " + cmd), h.out());
        assertTrue(h.out().contains("Exit status:"), h.out());
        Result v = jvfio(cmd, "--version");
        assertEquals(0, v.status());
        assertTrue(v.out().startsWith("jvfio " + Main.VERSION), v.out());
    }

    @Test
    void diffRefusesAnUnknownPageSize() {
        Result r = jvfio("diff", "--page-size", "8k", "scenarios/basic-v2.scn");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--page-size 8k") && r.err().contains("4k or 64k"), r.err());
        assertTrue(jvfio("diff", "--help").out().contains("--page-size"));
    }

    @Test
    void guestAndImagesRefuseAnUnknownPageSize_before6_1sOneFlavour() {
        Result r = jvfio("guest", "--page-size", "8k", "--", "info");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("'8k'") && r.err().contains("4k or 64k"), r.err());
        Result old = jvfio("guest", "--kernel", "6.1", "--page-size", "64k", "--", "info");
        assertEquals(2, old.status(), old.err());
        assertTrue(old.err().contains("one flavour"), old.err());
        assertEquals(2, jvfio("images", "--page-size", "2M").status());
        assertTrue(jvfio("guest", "--help").out().contains("--page-size"));
    }

    @Test
    void topLevel() {
        Result h = jvfio("--help");
        assertEquals(0, h.status());
        for (String c : List.of("run", "diff", "info", "probe", "abi", "demo", "plan")) {
            assertTrue(h.out().contains("  " + c + " "), c + " missing in " + h.out());
        }
        assertTrue(h.out().contains("4   emulator only") || h.out().contains("4"), h.out());
        Result none = jvfio();
        assertEquals(2, none.status());
        assertEquals(1, none.err().strip().lines().count(), none.err());
        Result bad = jvfio("frobnicate");
        assertEquals(2, bad.status());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    @Test
    void demoRunsTheDriverFlowAndEndsWithOk() {
        Result r = jvfio("demo", "--backend", "emulated");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("bytes verified"), r.out());
        assertTrue(r.out().contains("changed 0 bytes"), r.out());
        assertTrue(r.out().endsWith("demo: OK\n"), r.out());
    }

    @Test
    void demoFailureIsOneLineNamingTheOperation() {
        Result r = jvfio("demo", "--backend", "emulated", "--device", "0000:00:09.0");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("VFIO_GROUP_GET_DEVICE_FD"), r.err());
        assertTrue(r.err().contains("ENODEV (19)"), r.err());
    }

    @Test
    void planExplainsAndExitsByFeasibility() {
        Result ok = jvfio("plan", "--backend", "emulated", "--memory", "256M", "--page", "2M");
        assertEquals(0, ok.status(), ok.err());
        assertTrue(ok.out().contains("page_shift 21"), ok.out());
        Result json = jvfio("plan", "--profile", "sriov-vf", "--memory", "64M", "--json");
        assertEquals(0, json.status(), json.err());
        assertTrue(json.out().contains("\"feasible\""), json.out());
        Result no = jvfio("plan", "--profile", "no-ddw", "--memory", "64M");
        assertEquals(1, no.status());
        assertTrue(no.out().contains("NOT FEASIBLE"), no.out());
        Result bad = jvfio("plan", "--memory", "lots");
        assertEquals(2, bad.status());
    }

    @Test
    void runTakesOnTheHeaderPerFileOnTheEmulator() throws Exception {
        Path user = file("user.scn", "#% user 1000\nopen-group 0 -> EACCES\n");
        Path root = file("root.scn", "# no header: root\nopen-group 0 -> ok\n");
        Result r = jvfio("run", "--backend", "emulated", user.toString(), root.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("1: open-group 0 -> EACCES"), r.out());
        assertTrue(r.out().contains("1: open-group 0 -> ok"), "the next file gets a fresh platform: " + r.out());
    }

    @Test
    void runSyntaxErrorIsTwoAndNothingRuns() throws Exception {
        Path f = file("bad.scn", "api-version\nopen-group 0\nmapp 0 4K b\nunmap x 4K\n");
        Result r = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(2, r.status());
        assertEquals("", r.out());
        assertTrue(r.err().contains(f + ":3: unknown operation 'mapp'"), r.err());
        assertTrue(r.err().contains(f + ":4: "), r.err());
    }

    @Test
    void runMarksEachStepBeforeItRuns() throws Exception {
        Path f = file("marked.scn", "api-version\n# a comment\nopen-group 0\n");
        Path marks = tmp.resolve("kmsg");
        Result r = jvfio("run", "--backend", "emulated", "--mark-steps", marks.toString(), f.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of("jvfio-step " + f + " 1", "jvfio-step " + f + " 2"), Files.readAllLines(marks));
        Result bad = jvfio("run", "--backend", "emulated", "--mark-steps", tmp.resolve("no/such/dir").toString(), f.toString());
        assertEquals(3, bad.status());
        assertTrue(bad.err().contains("cannot write the step mark to"), bad.err());
    }

    @Test
    void runMissingFileIsThree() {
        Result r = jvfio("run", "--backend", "emulated", tmp.resolve("nope.scn").toString());
        assertEquals(3, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("nope.scn"));
    }

    @Test
    void runSaysWhichBackend() throws Exception {
        Path f = file("a.scn", "api-version -> ok value=0\n");
        Result r = jvfio("run", f.toString());
        assertTrue(r.err().startsWith("jvfio: backend: "), r.err());
        Result e = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(0, e.status(), e.err());
        assertEquals("1: api-version -> ok value=0\n", e.out());
        assertTrue(e.err().contains("emulated, profile qemu-pseries"), e.err());
    }

    @Test
    void runKernelWithoutVfioIsThree() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/vfio/vfio")), "this host has /dev/vfio/vfio");
        Path f = file("a.scn", "api-version\n");
        Result r = jvfio("run", "--backend", "kernel", f.toString());
        assertEquals(3, r.status());
        assertTrue(r.err().contains("/dev/vfio/vfio"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void runWarnsBeforeAHazardJudgedFromTheResults() throws Exception {
        Path f = file("h.scn", "open-group 0\nset-container\nset-iommu v2\nalloc b 4M\nregister b\nmap 0x3ffff000 8K b\n");
        Result r = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(4, r.status());
        assertTrue(r.err().contains("jvfio run: warning: " + f + ":6: on the real kernel: the range [0x3ffff000, +0x2000)"
                + " may cross the end of the window [0x0, 0x40000000)"), r.err());
        for (String scn : List.of("observed-v2.scn", "errors-v2-windows.scn", "vfio-ppc-ex-huge-guest.scn")) {
            Path p = Path.of(System.getProperty("jvfio.project.dir", "."), "scenarios", scn);
            Result ok = jvfio("run", "--backend", "emulated", p.toString());
            assertEquals(0, ok.status(), ok.out());
            assertFalse(ok.err().contains("warning"), scn + ": " + ok.err());
        }
        Path sticky = Path.of(System.getProperty("jvfio.project.dir", "."), "scenarios", "sticky-ddw.scn");
        Result st = jvfio("run", "--backend", "emulated", sticky.toString());
        assertEquals(0, st.status());
        assertTrue(st.err().contains(sticky + ":16: on the real kernel: a dynamic window exists already"), st.err());
    }

    @Test
    void runProfileErrors() throws Exception {
        Path f = file("a.scn", "api-version\n");
        Result r = jvfio("run", "--profile", "nonesuch", f.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("qemu-pseries"), r.err());
        Result k = jvfio("run", "--backend", "kernel", "--profile", "sriov-vf", f.toString());
        assertEquals(2, k.status());
        assertEquals(1, k.err().strip().lines().count(), k.err());
    }

    @Test
    void runMismatchIsOneAndGoesOn() throws Exception {
        Path f = file("m.scn", "api-version -> ok value=1\ncheck-extension spapr-v2 -> ok value=1\n");
        Result r = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(1, r.status());
        assertEquals(List.of("1: api-version -> ok value=0", "MISMATCH expected ok value=1", "2: check-extension spapr-v2 -> ok value=1"),
                r.outLines());
    }

    @Test
    void runJsonLines() throws Exception {
        Path f = file("j.scn", "# c\napi-version -> ok\ngroup-status\n");
        Result r = jvfio("run", "--backend", "emulated", "--json", f.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.outLines();
        assertEquals(2, lines.size());
        assertEquals("{\"step\":1,\"line\":2,\"op\":\"api-version\",\"args\":[],\"result\":\"ok\",\"errno\":null,"
                + "\"out\":{\"value\":0},\"expected\":\"ok\",\"match\":true}", lines.get(0));
        assertEquals("{\"step\":2,\"line\":3,\"op\":\"group-status\",\"args\":[],\"result\":\"EBADF\",\"errno\":9,"
                + "\"out\":{},\"expected\":null,\"match\":null}", lines.get(1));
    }

    @Test
    void runSeveralFilesWorstStatusWins() throws Exception {
        Path a = file("a.scn", "api-version\n");
        Path b = file("b.scn", "api-version -> EPERM\n");
        Result r = jvfio("run", "--backend", "emulated", a.toString(), b.toString());
        assertEquals(1, r.status());
        assertEquals(List.of("== " + a + " ==", "1: api-version -> ok value=0", "== " + b + " ==",
                "1: api-version -> ok value=0", "MISMATCH expected EPERM"), r.outLines());
        Result j = jvfio("run", "--backend", "emulated", "--json", a.toString(), b.toString());
        assertTrue(j.outLines().get(0).startsWith("{\"file\":\"" + a + "\",\"step\":1,"), j.out());
    }

    @Test
    void runKernelBugStopsWithFour() throws Exception {
        Path f = file("k.scn", """
                open-group 0
                set-container
                set-iommu v2
                alloc b 4M
                register b
                map 0x3ffff000 8K b
                api-version
                """);
        Result r = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(4, r.status(), r.out() + r.err());
        List<String> l = r.outLines();
        assertEquals("6: map 0x3ffff000 8K b -> KERNEL-BUG", l.get(5));
        assertTrue(l.get(6).startsWith("KERNEL-BUG "), l.get(6));
        assertEquals(7, l.size(), "stopped there");
    }

    @Test
    void infoOnTheEmulator() throws Exception {
        Result r = jvfio("info", "--backend", "emulated");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("api version: 0"), r.out());
        assertTrue(r.out().contains("kernel: 6.12.95 (modelled by the emulator)"), r.out());
        assertTrue(r.out().contains("VFIO_SPAPR_TCE_v2_IOMMU (7): 1"), r.out());
        assertTrue(r.out().contains("VFIO_EEH (5): 0"), r.out());
        assertTrue(r.out().contains("devices: 0000:00:00.0"), r.out());
        assertTrue(r.out().contains("GET_INFO as v1: ok flags=0x0 dma32_start=0x0 dma32_size=0x40000000 pgsizes=0x0 max_windows=0 levels=0"), r.out());
        assertTrue(r.out().contains("GET_INFO as v2: ok flags=0x1 dma32_start=0x0 dma32_size=0x40000000 pgsizes=0x1211000 max_windows=2 levels=1"), r.out());
        JsonNode n = new ObjectMapper().readTree(jvfio("info", "--profile", "qemu-pseries-2phb", "--json").out());
        assertEquals(2, n.get("groups").size());
        assertEquals("0001:00:00.0", n.get("groups").get(1).get("devices").get(0).asText());
        assertEquals(0, n.get("api_version").asInt());
        assertEquals("6.12.95", n.get("kernel").get("release").asText());
        assertTrue(n.get("kernel").get("modelled").asBoolean());
        Result missing = jvfio("info", "--backend", "emulated", "--group", "5");
        assertEquals(3, missing.status());
        assertTrue(missing.err().contains("group 5"), missing.err());
        Result noDdw = jvfio("info", "--profile", "no-ddw");
        // no ibm,ddw-applicable: the pSeries kernel still reports DDW, with max_windows = (u32) -1
        assertTrue(noDdw.out().contains("GET_INFO as v2: ok flags=0x1 dma32_start=0x0 dma32_size=0x40000000 pgsizes=0x1000"
                + " max_windows=4294967295 levels=0"), noDdw.out());
    }

    @Test
    void probeOnTheEmulator() throws Exception {
        Result r = jvfio("probe", "--group", "0", "--backend", "emulated");
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("4K pages: at least 4G"), r.out());
        assertTrue(r.out().contains("with the default window present: ok start=0x800000000000000"), r.out());
        assertTrue(r.out().contains("after removing the default window: ok start=0x0"), r.out());
        assertTrue(r.out().contains("levels CREATE accepts (4K pages, 64K window): 1 (2 -> EINVAL)"), r.out());
        Result vf = jvfio("probe", "--group", "0", "--profile", "sriov-vf", "--json");
        assertEquals(0, vf.status(), vf.out() + vf.err());
        JsonNode n = new ObjectMapper().readTree(vf.out());
        assertTrue(n.get("placement").get("default_removed").isNumber(), vf.out());
        assertEquals(0, n.get("placement").get("default_removed").asLong());
        assertFalse(n.get("placement").has("with_default"));
        Result nd = jvfio("probe", "--group", "0", "--profile", "no-ddw");
        assertEquals(0, nd.status());
        assertTrue(nd.out().contains("DDW not usable here"), nd.out());
        assertFalse(nd.out().contains("create"), "not a single CREATE: " + nd.out());
        Result missing = jvfio("probe", "--group", "3", "--backend", "emulated");
        assertEquals(3, missing.status());
        Result noGroup = jvfio("probe");
        assertEquals(2, noGroup.status());
    }

    /** {@code #% platform}: the emulator runs the file on that profile; a kernel without its groups does not run it (3). */
    @Test
    void platformDirective() throws IOException {
        Path f = file("topo.scn", "#% platform qemu-pseries-topology\nopen-group 2 -> ok\nset-container\n"
                + "set-iommu v2\ndevice 0002:00:00.1 -> ok\n");
        Result emulated = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(0, emulated.status(), emulated.out() + emulated.err());
        assertTrue(emulated.out().contains("4: device 0002:00:00.1 -> ok"), emulated.out());
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of("/dev/vfio/2")),
                "this machine has group 2: the kernel would run the file");
        Result kernel = jvfio("run", "--backend", "kernel", f.toString());
        assertEquals(3, kernel.status(), kernel.out() + kernel.err());
        assertTrue(kernel.err().contains("its #% platform qemu-pseries-topology needs /dev/vfio/"), kernel.err());
        assertFalse(kernel.out().contains("open-group"), "nothing ran: " + kernel.out());
    }
}
