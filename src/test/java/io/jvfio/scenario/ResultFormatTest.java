package io.jvfio.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultFormatTest {

    static Step step(String text) throws ScenarioSyntaxException {
        Scenario s = ScenarioParser.parse("t.scn", "alloc buf 4M\n# x\n" + text + "\n");
        return s.steps().getLast();
    }

    @Test
    void okWithOutFieldsHexAndDecimal() throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("flags", 1L);
        out.put("dma32_start", 0L);
        out.put("dma32_size", 0x40000000L);
        out.put("pgsizes", 0x1211000L);
        out.put("max_windows", 2L);
        out.put("levels", 1L);
        StepResult r = StepResult.ok(step("tce-info"), out);
        assertEquals("2: tce-info -> ok flags=0x1 dma32_start=0x0 dma32_size=0x40000000 pgsizes=0x1211000 max_windows=2 levels=1",
                r.text());
        assertEquals("2: device-info -> ok flags=0x2 regions=9 irqs=5",
                StepResult.ok(step("device-info"), orderedOut("flags", 2, "regions", 9, "irqs", 5)).text());
        assertEquals("2: create 16 4G 1 -> ok start=0x800000000000000",
                StepResult.ok(step("create 16 4G 1"), Map.of("start", 1L << 59)).text());
        assertEquals("2: api-version -> ok value=0", StepResult.ok(step("api-version"), Map.of("value", 0L)).text());
        assertEquals("2: region-info 7 -> ok size=0x100 offset=0x70000000000 flags=0x3",
                StepResult.ok(step("region-info 7"), orderedOut("size", 0x100, "offset", 0x70000000000L, "flags", 3)).text());
        assertEquals("2: create 24 1G 1 -> ok start=0xffffffffffffffff",
                StepResult.ok(step("create 24 1G 1"), Map.of("start", -1L)).text());
        assertEquals("2: tce-info -> ok max_windows=4294967295", StepResult.ok(step("tce-info"), Map.of("max_windows", 0xFFFFFFFFL)).text());
    }

    static Map<String, Long> orderedOut(Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).longValue());
        }
        return m;
    }

    @Test
    void argsAsWrittenAndErrnosByName() throws Exception {
        assertEquals("2: map 0x100000 64K buf -> EPERM", StepResult.errno(step("map 0x100000 64K buf   # c"), 1).text());
        assertEquals("2: unmap 0x1001 4K -> ret=1", StepResult.ret(step("unmap 0x1001 4K"), 1).text());
        assertEquals("2: remove 0 -> ERRNO200", StepResult.errno(step("remove 0"), 200).text());
        assertEquals("2: create 16 1G 1 flags=1 -> EINVAL", StepResult.errno(step("create 16 1G 1 flags=1 -> EINVAL"), 22).text());
    }

    @Test
    void mismatchLineFollowsTheStep() throws Exception {
        Step s = step("create 16 4G 1 -> ok start=0x0");
        StepResult r = StepResult.ok(s, Map.of("start", 1L << 59)).checkedAgainst(s.expect());
        assertTrue(r.mismatch());
        assertEquals(List.of("2: create 16 4G 1 -> ok start=0x800000000000000", "MISMATCH expected ok start=0x0"), ResultFormat.text(r));

        StepResult good = StepResult.ok(s, Map.of("start", 0L)).checkedAgainst(s.expect());
        assertFalse(good.mismatch());
        assertEquals(1, ResultFormat.text(good).size());
    }

    @Test
    void expectationsCompareNumerically() throws Exception {
        Step s = step("create 16 4G 1 -> ok start=576460752303423488");
        assertTrue(StepResult.ok(s, Map.of("start", 1L << 59)).checkedAgainst(s.expect()).match());
        Step e = step("remove 0 -> EINVAL");
        assertTrue(StepResult.errno(e, 22).checkedAgainst(e.expect()).match());
        assertFalse(StepResult.errno(e, 1).checkedAgainst(e.expect()).match());
        assertFalse(StepResult.ok(e, Map.of()).checkedAgainst(e.expect()).match());
        Step ret = step("unmap 0x1001 4K -> ret=0x1");
        assertTrue(StepResult.ret(ret, 1).checkedAgainst(ret.expect()).match());
        assertFalse(StepResult.ok(ret, Map.of()).checkedAgainst(ret.expect()).match());
        Step ok = step("unmap 0 4K -> ok");
        assertFalse(StepResult.ret(ok, 1).checkedAgainst(ok.expect()).match());
        Step any = step("unmap 0 4K -> any");
        assertTrue(StepResult.errno(any, 5).checkedAgainst(any.expect()).match());
        Step eeh = step("eeh get-state -> ok value=0");
        assertTrue(StepResult.ok(eeh, Map.of()).checkedAgainst(eeh.expect()).match());
        Step partial = step("tce-info -> ok max_windows=2");
        assertTrue(StepResult.ok(partial, orderedOut("flags", 1, "max_windows", 2)).checkedAgainst(partial.expect()).match());
        Step bug = step("map 0 4K buf -> any");
        assertFalse(StepResult.kernelBug(bug, "oops").checkedAgainst(bug.expect()).match());
    }

    @Test
    void jsonKeysInTheContractsOrder() throws Exception {
        Step s = step("map 0x100000 64K buf -> ok");
        String json = ResultFormat.json(StepResult.ok(s, Map.of()).checkedAgainst(s.expect()));
        assertEquals("{\"step\":2,\"line\":3,\"op\":\"map\",\"args\":[\"0x100000\",\"64K\",\"buf\"],\"result\":\"ok\","
                + "\"errno\":null,\"out\":{},\"expected\":\"ok\",\"match\":true}", json);

        Step c = step("create 16 4G 1");
        JsonNode n = new ObjectMapper().readTree(ResultFormat.json(StepResult.ok(c, Map.of("start", 1L << 59))));
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("step", "line", "op", "args", "result", "errno", "out", "expected", "match"), keys);
        assertTrue(n.get("out").get("start").isNumber());
        assertEquals(0x800000000000000L, n.get("out").get("start").asLong());
        assertTrue(n.get("expected").isNull());
        assertTrue(n.get("match").isNull());

        Step f = step("remove 0 -> ENOENT");
        JsonNode e = new ObjectMapper().readTree(ResultFormat.json(StepResult.errno(f, 22).checkedAgainst(f.expect())));
        assertEquals("EINVAL", e.get("result").asText());
        assertEquals(22, e.get("errno").asInt());
        assertEquals("ENOENT", e.get("expected").asText());
        assertFalse(e.get("match").asBoolean());
    }

    @Test
    void kernelBugLines() throws Exception {
        StepResult r = StepResult.kernelBug(step("map 0x3ffff000 8K buf"), "TCE table overrun");
        assertEquals(List.of("2: map 0x3ffff000 8K buf -> KERNEL-BUG", "KERNEL-BUG TCE table overrun"), ResultFormat.text(r));
        assertTrue(ResultFormat.json(r).endsWith(",\"message\":\"TCE table overrun\"}"));
    }

    @Test
    void sameOutcomeIgnoresExpectations() throws Exception {
        Step a = step("remove 0 -> EINVAL");
        Step b = step("remove 0");
        assertTrue(StepResult.errno(a, 22).checkedAgainst(a.expect()).sameOutcome(StepResult.errno(b, 22)));
        assertFalse(StepResult.errno(a, 22).sameOutcome(StepResult.errno(b, 2)));
        assertFalse(StepResult.ok(b, Map.of("start", 0L)).sameOutcome(StepResult.ok(b, Map.of("start", 1L))));
    }

    @Test
    void humanSizes() {
        assertEquals("64K", Numbers.size(65536));
        assertEquals("4G", Numbers.size(4L << 30));
        assertEquals("1T", Numbers.size(1L << 40));
        assertEquals("100", Numbers.size(100));
        assertEquals("0x1001", Numbers.size(0x1001));
    }
}
