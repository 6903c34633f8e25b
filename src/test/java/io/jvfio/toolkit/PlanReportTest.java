package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvfio.IommuType;
import org.junit.jupiter.api.Test;

/** The {@code jvfio plan} output: text for people, JSON for tools. */
class PlanReportTest {
    @Test
    void text_namesEveryDecision_andTheCosts() {
        String t = PlanReport.render(WindowPlannerTest.qemuPseries(), 32L << 20, 2L << 20, false);
        assertTrue(t.startsWith("plan: 32M of memory backed by 2M pages"), t);
        assertTrue(t.contains("platform: default window [0x0, 0x40000000) (1G); DDW: page sizes 4K|64K|2M|16M, up to 2 "
                + "window(s), 1 level(s)"), t);
        assertTrue(t.contains("outcome: SPAPR_TCE_V2, remove the default window, create a 32M window of 2M TCE pages, "
                + "1 level(s)"), t);
        for (String topic : new String[] {"container type", "dynamic windows", "default window", "page size",
                "window size", "levels", "window start", "teardown"}) {
            assertTrue(t.contains("\n  " + topic), () -> topic + " missing in\n" + t);
        }
        assertTrue(t.contains("16 TCEs, table 128 bytes"), t);
    }

    @Test
    void json_isParseable_andCarriesTheNumbers() throws Exception {
        String j = PlanReport.render(WindowPlannerTest.qemuPseries(), 4L << 30, 64L << 10, true);
        JsonNode n = new ObjectMapper().readTree(j);
        assertTrue(n.get("feasible").asBoolean());
        assertEquals("SPAPR_TCE_V2", n.get("container_type").asText());
        assertEquals(16, n.get("page_shift").asInt());
        assertEquals(4L << 30, n.get("window_size").asLong());
        assertTrue(n.get("window_start").isNull());
        assertEquals(0x1211000, n.at("/input/ddw/pgsizes").asLong());
        JsonNode w = n.get("windows").get(0);
        assertEquals(65536, w.get("tce_count").asLong());
        assertEquals(65536 * 8, w.get("table_bytes").asLong());
        assertEquals(117_964_800L, w.get("teardown_ns").asLong());
        assertEquals(1800.0, n.get("teardown_ns_per_tce").asDouble());
        assertTrue(n.get("decisions").size() >= 7);
        assertNotNull(n.get("decisions").get(0).get("reason"));
    }

    @Test
    void json_ofAnInfeasiblePlan_saysWhy() throws Exception {
        JsonNode n = new ObjectMapper().readTree(PlanReport.render(WindowPlannerTest.v1(), 2L << 30, 4096, true));
        assertFalse(n.get("feasible").asBoolean());
        assertTrue(n.get("problem").asText().contains("default window"));
        assertEquals(0, n.get("windows").size());
    }

    @Test
    void everyEmulatorProfile_renders() throws Exception {
        for (String profile : io.jvfio.emul.Profile.names()) {
            String t = PlanReport.renderForProfile(profile, 32L << 20, 2L << 20, false);
            assertTrue(t.startsWith("plan: 32M of memory backed by 2M pages"), t);
            JsonNode n = new ObjectMapper().readTree(PlanReport.renderForProfile(profile, 32L << 20, 2L << 20, true));
            assertEquals(!profile.equals(io.jvfio.emul.Profile.NO_DDW), n.get("feasible").asBoolean(), profile);
        }
    }

    @Test
    void aProbedPlatform_keepsItsContainerType() {
        PlanReport.Platform p = new PlanReport.Platform(WindowPlannerTest.v1(), IommuType.SPAPR_TCE_V2);
        String t = PlanReport.render(p, 1L << 20, 4096, false);
        assertTrue(t.contains("outcome: SPAPR_TCE_V2, map into the default window"), t);
    }
}
