package io.jvfio.cli;

import static io.jvfio.cli.CliTest.jvfio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvfio.Vfio;
import io.jvfio.VfioGuardException;
import io.jvfio.demo.DemoFlow;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edges a new user touches first (issue 14): each bad input gets its exit status and a clear message. */
class CliEdgesTest {
    @TempDir
    Path tmp;

    static final String NO_DDW_MAX_WINDOWS = "4294967295";

    @Test
    void demoOnANoDdwPlatform_refusesBeforeAnyMap_andDoesNotBlameAlignment() {
        CliTest.Result r = jvfio("demo", "--profile", "no-ddw");
        assertEquals(1, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("jvfio demo: choosing a DMA window: no DMA window can be set up on this platform"),
                r.err());
        assertFalse(r.err().contains("aligned"), r.err());
        assertFalse(r.err().contains("VFIO_IOMMU_MAP_DMA"), r.err());
        assertFalse(r.out().contains("mapped"), r.out());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("jvfio demo:")).count(), r.err());
    }

    @Test
    void demoFlowOnANoDdwPlatform_leavesThePeUsable() throws Exception {
        try (EmulatedBackend b = new EmulatedBackend(Profile.named(Profile.NO_DDW)); Vfio vfio = Vfio.over(b)) {
            StringWriter out = new StringWriter();
            DemoFlow flow = new DemoFlow(vfio, 0, "0000:00:00.0", new PrintWriter(out, true));
            assertThrows(VfioGuardException.class, flow::run);
            assertEquals(java.util.Set.of(), b.inspect().failedDdwGroups(), "the demo put the PE on the failed-DDW list");
            assertFalse(b.inspect().kernelBugHit());
            assertTrue(out.toString().contains(NO_DDW_MAX_WINDOWS + " windows"), out.toString());
        }
    }

    @Test
    void planZeroMemoryAndOddPage_areUsageErrors() {
        CliTest.Result zero = jvfio("plan", "--backend", "emulated", "--memory", "0");
        assertEquals(2, zero.status(), zero.err());
        assertTrue(zero.err().contains("jvfio plan: --memory must be at least one byte, not 0"), zero.err());
        assertFalse(zero.err().contains("internal error"), zero.err());
        CliTest.Result page = jvfio("plan", "--backend", "emulated", "--memory", "1M", "--page", "3000");
        assertEquals(2, page.status(), page.err());
        assertTrue(page.err().contains("--page must be a power of two of at least 4K"), page.err());
        assertTrue(page.err().contains("not 3000"), page.err());
        assertFalse(page.err().contains("internal error"), page.err());
    }

    @Test
    void planOfATebibyteOf4kTces_warnsAboutTheTableAndTheTeardown() {
        CliTest.Result big = jvfio("plan", "--backend", "emulated", "--memory", "1T");
        assertEquals(0, big.status(), big.err());
        assertTrue(big.err().contains("jvfio plan: warning: the created window has 268435456 TCEs of 4K: a 2GB TCE table"),
                big.err());
        assertTrue(big.err().contains("--page 2M"), big.err());
        CliTest.Result small = jvfio("plan", "--backend", "emulated", "--memory", "256M", "--page", "2M");
        assertEquals(0, small.status(), small.err());
        assertFalse(small.err().contains("warning"), small.err());
    }

    @Test
    void runOfABinaryFile_saysItIsNotAScenario() throws Exception {
        Path elf = tmp.resolve("ls");
        Files.write(elf, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, (byte) 0xff, (byte) 0xfe, 0, 0});
        CliTest.Result r = jvfio("run", "--backend", "emulated", elf.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals("jvfio run: " + elf + " is not a scenario: it is not UTF-8 text (a .scn file is plain text, one"
                + " operation per line; see docs/scenario-format.md)", r.err().strip());
        assertFalse(r.err().contains("Input length"), r.err());
        assertFalse(r.err().contains("permissions"), r.err());
        assertEquals("", r.out());
        Path nul = Files.write(tmp.resolve("nul.scn"), "api-version\0\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(2, jvfio("run", "--backend", "emulated", nul.toString()).status());
    }

    @Test
    void runOfAnEmptyOrCommentOnlyScenario_isAnError() throws Exception {
        for (String text : List.of("", "# only a comment\n\n   \n# another\n")) {
            Path f = Files.writeString(tmp.resolve("empty.scn"), text);
            CliTest.Result r = jvfio("run", "--backend", "emulated", f.toString());
            assertEquals(2, r.status(), "'" + text + "': " + r.err());
            assertTrue(r.err().contains(f + " has no operations (only blank lines and comments): nothing to run"),
                    r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void runDash_readsStandardInput() {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream("# from a pipe\napi-version -> ok value=0\n".getBytes(StandardCharsets.UTF_8)));
            CliTest.Result r = jvfio("run", "--backend", "emulated", "-");
            assertEquals(0, r.status(), r.err());
            assertEquals("1: api-version -> ok value=0\n", r.out());
            System.setIn(new ByteArrayInputStream("mapp 0\n".getBytes(StandardCharsets.UTF_8)));
            CliTest.Result bad = jvfio("run", "--backend", "emulated", "-");
            assertEquals(2, bad.status());
            assertTrue(bad.err().startsWith("<stdin>:1: unknown operation 'mapp'; the operations: api-version, "), bad.err());
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void unknownOperation_listsTheValidOnes() throws Exception {
        Path f = Files.writeString(tmp.resolve("u.scn"), "frob 1\n");
        CliTest.Result r = jvfio("run", "--backend", "emulated", f.toString());
        assertEquals(2, r.status());
        for (String op : List.of("api-version", "tce-info", "map", "unmap", "create", "remove", "eeh")) {
            assertTrue(r.err().contains(op), op + " missing: " + r.err());
        }
        assertTrue(r.err().contains("docs/scenario-format.md"), r.err());
    }

    /** The suggestion after "use the emulator: " must be a command line that parses and works. */
    @Test
    void kernelWithoutVfio_suggestsACommandLineThatParses() throws Exception {
        assumeFalse(Files.exists(Path.of(Vfio.CONTAINER_PATH)), "this host has /dev/vfio/vfio");
        Path f = Files.writeString(tmp.resolve("a.scn"), "api-version -> ok value=0\n");
        for (String[] cmd : List.of(new String[] {"run", "--backend", "kernel", f.toString()},
                new String[] {"info", "--backend=kernel"},
                new String[] {"plan", "--backend", "kernel", "--memory", "64M"},
                new String[] {"probe", "--backend", "kernel", "--group", "0"},
                new String[] {"demo", "--backend", "kernel"})) {
            CliTest.Result r = jvfio(cmd);
            assertEquals(3, r.status(), r.err());
            String marker = "use the emulator: jvfio ";
            int at = r.err().indexOf(marker);
            assertTrue(at >= 0, r.err());
            String[] suggested = r.err().substring(at + marker.length()).strip().split(" ");
            assertFalse(Arrays.asList(suggested).contains("kernel"), r.err());
            CliTest.Result again = jvfio(suggested);
            assertEquals(0, again.status(), String.join(" ", suggested) + ": " + again.err());
        }
    }

    @Test
    void emulatedPlatformErrors_neverSuggestSysfs() {
        List<CliTest.Result> rs = List.of(
                jvfio("demo", "--backend", "emulated", "--group", "7"),
                jvfio("demo", "--backend", "emulated", "--device", "0000:00:09.0"),
                jvfio("info", "--backend", "emulated", "--group", "5"),
                jvfio("probe", "--backend", "emulated", "--group", "3"));
        for (CliTest.Result r : rs) {
            assertTrue(r.status() == 1 || r.status() == 3, r.err());
            assertFalse(r.err().contains("/sys"), r.err());
            assertFalse(r.err().contains("dmesg"), r.err());
            assertFalse(r.err().contains("vfio-pci"), r.err());
        }
        assertTrue(rs.get(0).err().contains("the emulated qemu-pseries (ppc64le) platform has no such IOMMU group: its groups are [0]"),
                rs.get(0).err());
        assertTrue(rs.get(1).err().contains("jvfio info lists the emulated profile's devices"), rs.get(1).err());
        assertTrue(rs.get(3).err().contains("the emulated profile qemu-pseries has the groups [0]"), rs.get(3).err());
    }

    @Test
    void theNoDdwWindowCount_printsTheSameInEveryCommand() throws Exception {
        assertTrue(jvfio("demo", "--profile", "no-ddw").out().contains(NO_DDW_MAX_WINDOWS + " windows"));
        assertTrue(jvfio("info", "--profile", "no-ddw").out().contains("max_windows=" + NO_DDW_MAX_WINDOWS));
        CliTest.Result plan = jvfio("plan", "--profile", "no-ddw", "--memory", "64M");
        assertTrue(plan.out().contains("max windows " + NO_DDW_MAX_WINDOWS), plan.out());
        for (String text : List.of(plan.out(), jvfio("demo", "--profile", "no-ddw").out())) {
            assertFalse(text.contains("0xFFFFFFFF") || text.contains("0xffffffff") || text.contains(" -1 "), text);
        }
    }

    @Test
    void json_printsNumbersAsJsonNumbers() throws Exception {
        ObjectMapper m = new ObjectMapper();
        JsonNode info = m.readTree(jvfio("info", "--profile", "no-ddw", "--json").out());
        JsonNode out = info.at("/groups/0/get_info_v2/out");
        out.fields().forEachRemaining(e -> assertTrue(e.getValue().isNumber(), e.getKey() + " " + e.getValue()));
        assertEquals(4294967295L, out.get("max_windows").asLong());
        assertEquals(0x40000000L, out.get("dma32_size").asLong());
        JsonNode plan = m.readTree(jvfio("plan", "--profile", "no-ddw", "--memory", "64M", "--json").out());
        assertEquals(4294967295L, plan.at("/input/ddw/max_dynamic_windows_supported").asLong());
        assertTrue(plan.at("/input/ddw/pgsizes").isNumber(), plan.toString());
        assertTrue(plan.at("/input/dma32_window_start").isNumber(), plan.toString());
        JsonNode probe = m.readTree(jvfio("probe", "--backend", "emulated", "--group", "0", "--json").out());
        assertTrue(probe.at("/tce_info/pgsizes").isNumber(), probe.toString());
        assertEquals(4096, probe.at("/largest/0/page_size").asLong());
        assertTrue(probe.at("/largest/0/largest").isNumber(), probe.toString());
        assertEquals(0x800000000000000L, probe.at("/placement/with_default").asLong());
        Path f = Files.writeString(tmp.resolve("c.scn"), "open-group 0\nset-container\nset-iommu v2\ncreate 16 1G 1\n");
        List<String> lines = jvfio("run", "--backend", "emulated", "--json", f.toString()).outLines();
        assertEquals(0x800000000000000L, m.readTree(lines.get(3)).at("/out/start").asLong());
        assertTrue(m.readTree(lines.get(3)).at("/out/start").isNumber(), lines.get(3));
    }

    /** The repository's copy of the language stays current: every operation the parser knows has its row. */
    @Test
    void scenarioDoc_hasARowForEveryOperation() throws Exception {
        Path doc = Path.of(System.getProperty("jvfio.project.dir", "."), "docs", "scenario-format.md");
        String text = Files.readString(doc);
        for (io.jvfio.scenario.Op op : io.jvfio.scenario.Op.values()) {
            assertTrue(text.contains("| `" + op.text() + "` |") || text.contains("`" + op.text() + "` / `")
                    || text.contains("/ `" + op.text() + "` |"), op.text() + " missing in " + doc);
        }
    }

    @Test
    void helpPointsToTheScenarioDocInTheRepository() {
        assertTrue(jvfio("--help").out().contains("docs/scenario-format.md"));
        assertTrue(jvfio("run", "--help").out().replaceAll("\\s+", " ").contains("docs/scenario-format.md"));
        Path doc = Path.of(System.getProperty("jvfio.project.dir", "."), "docs", "scenario-format.md");
        assertTrue(Files.isRegularFile(doc), doc + " missing");
    }
}
