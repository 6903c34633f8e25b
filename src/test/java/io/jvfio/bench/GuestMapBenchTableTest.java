package io.jvfio.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The in-guest benchmark's arithmetic: medians of runs, the ratio, the per-round spread. */
class GuestMapBenchTableTest {
    @Test
    void ratioIsMedianOfJavaRunsOverMedianOfCRuns_andOneDisturbedRunDoesNotMoveIt() {
        Map<String, Map<String, List<Long>>> r = Map.of(
                "c", Map.of("one_page", List.of(100L, 100L, 400L, 100L)),
                "cthread", Map.of("one_page", List.of(105L, 105L, 105L)),
                "java", Map.of("one_page", List.of(150L, 160L, 150L)),
                "mapper", Map.of("one_page", List.of(120L, 130L, 140L)),
                "seam", Map.of("one_page", List.of(110L, 120L, 130L)));
        String t = GuestMapBench.table(r, 3);
        assertTrue(t.contains("| MAP+UNMAP, one page | C (mapbench.c) | 100, 100, 400, 100 | 100 | | |"), t);
        assertTrue(t.contains("| 150, 160, 150 | 150 | 1.500, 0.640, 0.600 | 1.500 |"), t);
        assertTrue(t.contains("| 110, 120, 130 | 120 | 1.100, 0.480, 0.520 | 1.200 |"), t);
        assertTrue(t.contains("| 120, 130, 140 | 130 | 1.200, 0.520, 0.560 | 1.300 |"), t);
        // (API - seam) over the mean of the C runs on either side: 40/100, 40/250, 20/250; 10/100, 10/250, 10/250.
        assertTrue(t.contains("| MAP+UNMAP, one page | Java, public API (Container) + toolkit | 0.400, 0.160, 0.080 | 0.160 |"), t);
        assertTrue(t.contains("| MAP+UNMAP, one page | Java, public API (DmaMapper) + toolkit | 0.100, 0.040, 0.040 | 0.040 |"), t);
        assertTrue(!t.contains("incomplete"), t);
    }

    @Test
    void downcallTable_comparesTwoCapturedDowncallsWithTheSeamsGap() {
        Map<String, Map<String, List<Long>>> r = Map.of(
                "c", Map.of("one_page", List.of(100L, 100L, 100L)),
                "seam", Map.of("one_page", List.of(140L, 150L)),
                "downcall", Map.of("downcall_capture", List.of(20L, 22L), "downcall_plain", List.of(15L, 16L)));
        String t = GuestMapBench.downcalls(r, r.get("c"));
        assertTrue(t.contains("| with errno capture (the seam's binding) | 20, 22 | 20 |"), t);
        assertTrue(t.contains("| without errno capture | 15, 16 | 15 |"), t);
        assertTrue(t.contains("| the seam's gap to C per one-page pair (seam - C, medians) | | 40 |"), t);
        assertTrue(t.contains("| two captured downcalls over that gap | | 1.000 |"), t);
        assertEquals("", GuestMapBench.downcalls(Map.of("c", r.get("c")), r.get("c")), "no downcall run: no table");
        Map<String, Map<String, List<Long>>> withThread = new java.util.HashMap<>(r);
        withThread.put("cthread", Map.of("one_page", List.of(110L, 112L)));
        String t2 = GuestMapBench.downcalls(withThread, r.get("c"));
        assertTrue(t2.contains("(C with a second thread - C, medians) | | 10 |"), t2);
        assertTrue(t2.contains("(gap - two captured downcalls - shared fd table) | | -10 |"), t2);
    }

    @Test
    void parse_keepsEachProgramsResultsApart_cthreadIsNotC() {
        Map<String, Map<String, List<Long>>> r = GuestMapBench.parse(List.of("@@ROUND 1 c", "mapbench one_page median_ns=100",
                "@@ROUND 1 cthread", "# a second thread is alive", "mapbench one_page median_ns=105", "@@ROUND 1 seam",
                "mapbench one_page median_ns=130", "@@ROUND 2 c", "mapbench one_page median_ns=101"));
        assertEquals(List.of(100L, 101L), r.get("c").get("one_page"));
        assertEquals(List.of(105L), r.get("cthread").get("one_page"));
        assertEquals(List.of(130L), r.get("seam").get("one_page"));
    }

    @Test
    void missingJavaRun_isFlagged() {
        String t = GuestMapBench.table(Map.of("c", Map.of("one_page", List.of(100L, 100L)),
                "java", Map.of("one_page", List.of(150L, 150L)), "seam", Map.of("one_page", List.of(120L, 120L))), 2);
        assertTrue(t.contains("incomplete"), t);
    }

    /** Two rounds of every run the step table reads: C 100 (timer 10), C with a thread 105, the seam-gap loops. */
    private static Map<String, Map<String, List<Long>>> gapRuns() {
        return Map.of(
                "c", Map.of("one_page", List.of(100L, 100L, 100L), "8192_pages", List.of(9L, 9L, 9L), "timer", List.of(10L, 10L, 10L)),
                "cthread", Map.of("one_page", List.of(105L, 105L)),
                "seamgap", Map.of("gap_timer", List.of(20L, 20L), "gap_noop_downcalls", List.of(60L, 60L),
                        "gap_no_capture", List.of(170L, 180L), "gap_caller_buffer", List.of(190L, 200L), "gap_seam",
                        List.of(200L, 230L)),
                "ctouch64", Map.of("one_page", List.of(101L, 97L)),
                "ctouchin64", Map.of("one_page", List.of(150L, 160L), "touch_only", List.of(60L, 60L)));
    }

    @Test
    void steps_takeTheGapApart_andTheirSumIsTheGap() {
        String t = SeamGapTables.steps(gapRuns());
        // round 1: gap 100 = timer 10 + noop 40 + fd 5 + capture 20 + lookup 10 + rest (110 - 90 - 5 = 15)
        // round 2: gap 130 = 10 + 40 + 5 + 20 + 30 + (120 - 90 - 5 = 25)
        assertTrue(t.contains("| the gap: the seam (seam-gap run) - C | 100, 130 | 100 | 1.00 |"), t);
        assertTrue(t.contains("(gap_timer - C's timer) | 10, 10 | 10 | 0.10 |"), t);
        assertTrue(t.contains("(gap_noop_downcalls - gap_timer) | 40, 40 | 40 | 0.40 |"), t);
        assertTrue(t.contains("| a shared fd table (C with a second thread - C) | 5, 5 | 5 | 0.05 |"), t);
        assertTrue(t.contains("(gap_caller_buffer - gap_no_capture) | 20, 20 | 20 | 0.20 |"), t);
        assertTrue(t.contains("(gap_seam - gap_caller_buffer) | 10, 30 | 10 | 0.10 |"), t);
        assertTrue(t.contains("- (C - C's timer) - fd table) | 15, 25 | 15 | 0.15 |"), t);
        Map<String, Map<String, List<Long>>> noGapRun = new java.util.HashMap<>(gapRuns());
        noGapRun.remove("seamgap");
        assertEquals("", SeamGapTables.steps(noGapRun), "no seam-gap run: no table");
    }

    @Test
    void workingSet_comparesTouchedRunsWithPlainC_theTouchesAloneSubtracted() {
        String t = SeamGapTables.workingSet(gapRuns());
        // before: 101 - 100, 97 - 100; between: (150 - 60) - (100 - 10), (160 - 60) - 90
        assertTrue(t.contains("| 64 | 1, -3 | -3 | 0, 10 | 0 |"), t);
        assertTrue(!t.contains("| 16 |"), "no run with 16 pages: no row\n" + t);
    }

    @Test
    void mainTable_showsOnlyTheMapOperations_notCsTimer() {
        String t = GuestMapBench.table(gapRuns(), 2);
        assertTrue(t.contains("| MAP+UNMAP, one page | C (mapbench.c) | 100, 100, 100 |"), t);
        assertTrue(!t.contains("MAP+UNMAP, timer"), t);
        assertTrue(t.contains("| the gap: the seam (seam-gap run) - C |"), t);
    }

    @Test
    void parse_readsTheNewRunsByName() {
        Map<String, Map<String, List<Long>>> r = GuestMapBench.parse(List.of("@@ROUND 1 seamgap",
                "mapbench gap_timer median_ns=20", "@@ROUND 1 ctouchin64", "mapbench one_page median_ns=150",
                "mapbench touch_only median_ns=60"));
        assertEquals(List.of(20L), r.get("seamgap").get("gap_timer"));
        assertEquals(List.of(60L), r.get("ctouchin64").get("touch_only"));
    }

    @Test
    void medianOfAnEvenCountIsTheLowerMiddle() {
        assertEquals(2, GuestMapBench.median(List.of(4L, 1L, 2L, 3L)));
    }
}
