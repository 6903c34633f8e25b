package io.jvfio.bench;

import static io.jvfio.contract.Fixture.DDW_START;
import static io.jvfio.contract.Fixture.M;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.contract.Backends.Variant;
import io.jvfio.contract.Fixture;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.EmulatorState;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A quick System.nanoTime measurement of the emulator's MAP+UNMAP throughput in TCEs per second (the
 * JMH figures are EmulatorBench's). A 64 MiB buffer is mapped again and again at consecutive IOVAs,
 * then the whole range is unmapped in one call; prints the best of 25 rounds. Tagged {@code bench}:
 * a timing, so never part of the unit run; the floors are far below the target so that only a
 * broken model (a linear scan per TCE) fails them.
 */
@Tag("bench")
class TceThroughputTest {
    static final long BUF_SIZE = 64 * M;

    @Test
    void v2MapUnmapThroughput() {
        try (Fixture f = Fixture.open(Variant.EMULATED_PPC64LE)) {
            int c = f.v2();
            MemorySegment buf = f.buffer(BUF_SIZE, false);
            assertEquals(0, f.register(c, buf));
            assertEquals(DDW_START, f.createOk(c, 12, 64L << 30, 1)); // 16M entries
            long perMap = BUF_SIZE >>> 12;
            int rounds = 64; // 1M TCEs per round
            double best = 0;
            double bestMap = 0;
            double bestUnmap = 0;
            for (int iter = 0; iter < 25; iter++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < rounds; r++) {
                    assertEquals(0, f.map(c, DDW_START + r * BUF_SIZE, BUF_SIZE, buf.address()));
                }
                long t1 = System.nanoTime();
                assertEquals(0, f.unmap(c, DDW_START, rounds * BUF_SIZE));
                long t2 = System.nanoTime();
                long tces = perMap * rounds;
                double both = tces / ((t2 - t0) / 1e9);
                if (both > best) {
                    best = both;
                    bestMap = tces / ((t1 - t0) / 1e9);
                    bestUnmap = tces / ((t2 - t1) / 1e9);
                }
            }
            System.out.printf("emulator v2 TCE throughput: map %.1f M TCE/s, unmap %.1f M TCE/s, map+unmap %.1f M TCE/s"
                    + " (%d TCEs per round)%n", bestMap / 1e6, bestUnmap / 1e6, best / 1e6, perMap * rounds);
            EmulatorState st = ((EmulatedBackend) f.b).inspect();
            assertEquals(0, st.container(c).window(1).mappedTces(), "TCEs left in the window after the full UNMAP");
            assertEquals(0, st.prereg(buf.address()).mappedCount(), "mappings left on the registered buffer");
            assertTrue(best > 2e6, "map+unmap throughput " + best);
        }
    }

    @Test
    void v1MapUnmapThroughput() {
        try (Fixture f = Fixture.open(Variant.EMULATED_PPC64LE)) {
            int c = f.v1Enabled();
            MemorySegment buf = f.buffer(BUF_SIZE, false);
            long tces = 16 * (BUF_SIZE >>> 12); // 16 rounds = 256K TCEs: the whole 1 GiB default window
            double best = 0;
            for (int iter = 0; iter < 25; iter++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < 16; r++) {
                    assertEquals(0, f.map(c, r * BUF_SIZE, BUF_SIZE, buf.address()));
                }
                assertEquals(0, f.unmap(c, 0, 16 * BUF_SIZE));
                long t1 = System.nanoTime();
                best = Math.max(best, tces / ((t1 - t0) / 1e9));
            }
            System.out.printf("emulator v1 TCE throughput: map+unmap %.1f M TCE/s%n", best / 1e6);
            assertTrue(best > 1e6);
        }
    }
}
