package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.emul.Profile;
import io.jvfio.toolkit.bench.MapBenchAccess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** MapBench's output contract (the same two lines as native/guest-bench/mapbench.c), on the emulator. */
class MapBenchTest {
    @Test
    void printsTheTwoMedianLines_andUsesA64BitWindow() throws VfioException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long start;
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES)) {
            start = MapBenchAccess.run(vfio, new String[] {"-n", "5", "-m", "3", "-w", "2", "-W", "1"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].matches("mapbench one_page median_ns=\\d+"), lines[0]);
        assertTrue(lines[1].matches("mapbench 8192_pages median_ns=\\d+"), lines[1]);
        assertEquals(0x0800000000000000L, start, "the window next to the default one");
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("# one_page: reps=5 warmup=2"));
    }

    @Test
    void seamMode_printsTheSameLines_andLeavesNothingBehind() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES)) {
            long start = MapBenchAccess.runSeam(vfio, new String[] {"--seam", "-n", "5", "-m", "3", "-w", "2", "-W", "1"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(0x0800000000000000L, start);
            io.jvfio.emul.EmulatorState st = ((io.jvfio.emul.EmulatedBackend) vfio.backend()).inspect();
            assertTrue(st.openFds().isEmpty(), "fds left open: " + st.openFds());
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].matches("mapbench one_page median_ns=\\d+"), lines[0]);
        assertTrue(lines[1].matches("mapbench 8192_pages median_ns=\\d+"), lines[1]);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("(seam, no public API)"));
    }

    @Test
    void seamGapMode_printsTheLoopsThatRunOnTheEmulator_andSaysWhichItSkipped() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES)) {
            MapBenchAccess.runSeam(vfio, new String[] {"--seam-gap", "-n", "5", "-w", "2"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            io.jvfio.emul.EmulatorState st = ((io.jvfio.emul.EmulatedBackend) vfio.backend()).inspect();
            assertTrue(st.openFds().isEmpty(), "fds left open: " + st.openFds());
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(4, lines.length, out.toString(StandardCharsets.UTF_8));
        String[] names = {"gap_timer", "gap_noop_downcalls", "gap_caller_buffer", "gap_seam"};
        for (int i = 0; i < names.length; i++) {
            assertTrue(lines[i].matches("mapbench " + names[i] + " median_ns=\\d+"), lines[i]);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("# gap_no_capture: skipped (not the kernel backend"),
                err.toString(StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"--seam-gap", "--mapper"}));
    }

    @Test
    void mapperMode_printsTheSameLines_andLeavesNoFdOpen() throws VfioException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES)) {
            MapBenchAccess.run(vfio, new String[] {"--mapper", "-n", "5", "-m", "3", "-w", "2", "-W", "1"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            io.jvfio.emul.EmulatorState st = ((io.jvfio.emul.EmulatedBackend) vfio.backend()).inspect();
            assertTrue(st.openFds().isEmpty(), "fds left open: " + st.openFds());
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(2, lines.length, out.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].matches("mapbench one_page median_ns=\\d+"), lines[0]);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("through a DmaMapper"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badArguments_areRefused() {
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"--seam", "--mapper"}));
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"-n"}));
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"-n", "x"}));
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"-n", "0"}));
        assertThrows(IllegalArgumentException.class, () -> MapBenchAccess.parse(new String[] {"--what", "1"}));
    }
}
