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
                "java", Map.of("one_page", List.of(150L, 160L, 150L)),
                "seam", Map.of("one_page", List.of(110L, 120L, 130L)));
        String t = GuestMapBench.table(r, 3);
        assertTrue(t.contains("| MAP+UNMAP, one page | C (mapbench.c) | 100, 100, 400, 100 | 100 | | |"), t);
        assertTrue(t.contains("| 150, 160, 150 | 150 | 1.500, 0.640, 0.600 | 1.500 |"), t);
        assertTrue(t.contains("| 110, 120, 130 | 120 | 1.100, 0.480, 0.520 | 1.200 |"), t);
        assertTrue(!t.contains("incomplete"), t);
    }

    @Test
    void missingJavaRun_isFlagged() {
        String t = GuestMapBench.table(Map.of("c", Map.of("one_page", List.of(100L, 100L)),
                "java", Map.of("one_page", List.of(150L))), 2);
        assertTrue(t.contains("incomplete"), t);
    }

    @Test
    void medianOfAnEvenCountIsTheLowerMiddle() {
        assertEquals(2, GuestMapBench.median(List.of(4L, 1L, 2L, 3L)));
    }
}
