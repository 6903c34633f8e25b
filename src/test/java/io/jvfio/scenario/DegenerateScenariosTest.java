package io.jvfio.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code jvfio diff --degenerate} covers every size, count, length and address field at each of its
 * degenerate values: read back from the parsed probe steps, so a dropped field or value fails here.
 */
class DegenerateScenariosTest {
    private static final List<Long> U32 = List.of(0L, 1L, 0xfffL, 0xffffffffL);
    private static final List<Long> U64 = List.of(0L, 1L, 0xfffL, 0xffffffffffffffffL, 0xfffffffffffff000L);

    /** Each field the diff must probe, its values, and how to read it from a parsed step. */
    private record Field(List<Long> values, Function<Step, Long> read) {}

    private static final Map<String, Field> FIELDS = new LinkedHashMap<>();

    static {
        Function<Step, Long> argsz = Step::argsz;
        for (String op : List.of("group-status", "tce-info", "register", "unregister", "map-v1", "map-v2", "unmap",
                "create", "remove", "device-info", "region-info", "eeh")) {
            FIELDS.put(op + ".argsz", new Field(U32, argsz));
        }
        for (String op : List.of("register", "unregister")) {
            FIELDS.put(op + ".vaddr", new Field(U64, Step::vaddr));
            FIELDS.put(op + ".size", new Field(U64, s -> s.action() instanceof Action.Register r ? r.size()
                    : ((Action.Unregister) s.action()).size()));
        }
        for (String op : List.of("map-v1", "map-v2")) {
            FIELDS.put(op + ".iova", new Field(U64, s -> ((Action.Map) s.action()).iova()));
            FIELDS.put(op + ".size", new Field(U64, s -> ((Action.Map) s.action()).size()));
            FIELDS.put(op + ".vaddr", new Field(U64, Step::vaddr));
        }
        FIELDS.put("unmap.iova", new Field(U64, s -> ((Action.Unmap) s.action()).iova()));
        FIELDS.put("unmap.size", new Field(U64, s -> ((Action.Unmap) s.action()).size()));
        FIELDS.put("create.page_shift", new Field(U32, s -> Integer.toUnsignedLong(((Action.Create) s.action()).pageShift())));
        FIELDS.put("create.window_size", new Field(U64, s -> ((Action.Create) s.action()).windowSize()));
        FIELDS.put("create.levels", new Field(U32, s -> Integer.toUnsignedLong(((Action.Create) s.action()).levels())));
        FIELDS.put("remove.start", new Field(U64, s -> ((Action.Remove) s.action()).start()));
        FIELDS.put("region-info.index", new Field(U32, s -> Integer.toUnsignedLong(((Action.RegionInfo) s.action()).index())));
        FIELDS.put("eeh.op", new Field(U32, s -> Integer.toUnsignedLong(((Action.Eeh) s.action()).peOp())));
    }

    /** {@code map-v2.size=0x0}-style keys of every probe, read from the step after each probe mark. */
    private static Set<String> probes() throws ScenarioSyntaxException {
        Set<String> seen = new TreeSet<>();
        for (Map.Entry<String, String> f : DegenerateScenarios.generate().entrySet()) {
            Scenario s = ScenarioParser.parse(f.getKey(), f.getValue());
            String[] lines = f.getValue().split("\n");
            String iommu = f.getValue().contains("set-iommu v1") ? "-v1" : "-v2";
            for (int i = 0; i < lines.length; i++) {
                if (!lines[i].startsWith(DegenerateScenarios.PROBE_MARK)) {
                    continue;
                }
                String[] kv = lines[i].substring(DegenerateScenarios.PROBE_MARK.length()).split("=");
                String field = kv[0].startsWith("map.") ? "map" + iommu + kv[0].substring(3) : kv[0];
                int line = i + 2; // the probe is the next line
                Step step = s.steps().stream().filter(st -> st.line() == line).findFirst().orElseThrow();
                Field spec = FIELDS.get(field);
                assertNotNull(spec, () -> f.getKey() + ": a probe of an unknown field " + field);
                long value = Numbers.parse(kv[1]);
                assertEquals(value, spec.read().apply(step), () -> f.getKey() + ": the probe step '" + step.text()
                        + "' does not carry " + field + "=" + kv[1]);
                seen.add(field + "=" + Long.toHexString(value));
            }
        }
        return seen;
    }

    @Test
    void everyFieldAtEveryDegenerateValue() throws Exception {
        Set<String> seen = probes();
        Set<String> missing = new TreeSet<>();
        FIELDS.forEach((field, spec) -> spec.values().forEach(v -> {
            if (!seen.contains(field + "=" + Long.toHexString(v))) {
                missing.add(field + "=0x" + Long.toHexString(v));
            }
        }));
        assertTrue(missing.isEmpty(), () -> "not probed: " + missing);
    }

    @Test
    void theSameFilesEveryTime() {
        assertEquals(DegenerateScenarios.generate(), DegenerateScenarios.generate());
        assertEquals(List.copyOf(DegenerateScenarios.generate().keySet()), List.copyOf(DegenerateScenarios.generate().keySet()));
    }
}
