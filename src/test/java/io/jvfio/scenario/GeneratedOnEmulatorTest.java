package io.jvfio.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Generated scenarios on the emulator: the safety model and the emulator's kernel-bug detection agree. */
class GeneratedOnEmulatorTest {

    static ScenarioRunner.Outcome run(Scenario s) {
        try (EmulatedBackend b = new EmulatedBackend(Profile.named("qemu-pseries"))) {
            ScenarioRunner.Outcome o = new ScenarioRunner(b).run(s);
            var st = b.inspect();
            assertEquals(java.util.Set.of(), st.failedDdwGroups(), () -> "sticky failed DDW after:\n" + s.source());
            assertTrue(!st.kernelBugHit(), () -> "kernel bug in:\n" + s.source());
            assertEquals(java.util.List.of(), st.openFds(), "the runner left fds open");
            assertEquals(0, st.mappings(), "the runner left buffers mapped");
            return o;
        } catch (ScenarioStartException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void noGeneratedStepIsAKernelBug() {
        int okCreates = 0;
        for (long seed = 0; seed < 150; seed++) {
            Scenario s = new ScenarioGenerator(seed).generate(80);
            ScenarioRunner.Outcome o = run(s);
            long seedCopy = seed;
            assertEquals(ExitStatus.OK, o.exitStatus(), () -> "seed " + seedCopy + ":\n" + s.source() + "\n"
                    + o.results().stream().map(StepResult::text).reduce("", (a, b) -> a + b + "\n"));
            okCreates += (int) o.results().stream().filter(r -> r.op() == Op.CREATE && r.status() == StepResult.Status.OK).count();
        }
        assertTrue(okCreates > 100, "successful CREATEs: " + okCreates);
    }

    @Test
    void shrinkAgainstTheEmulator() {
        // "fails": a MAP into a created 64-bit window succeeds
        Predicate<Scenario> p = s -> run(s).results().stream().anyMatch(r -> r.op() == Op.MAP
                && r.status() == StepResult.Status.OK && r.args().getFirst().startsWith("0x8000000"));
        Scenario found = null;
        for (long seed = 0; seed < 50 && found == null; seed++) {
            Scenario s = new ScenarioGenerator(seed).generate(80);
            if (p.test(s)) {
                found = s;
            }
        }
        assertTrue(found != null);
        Scenario small = ScenarioGenerator.shrink(found, p);
        assertTrue(p.test(small));
        // open-group, set-container, set-iommu v2, alloc, register, create, map
        assertTrue(small.steps().size() <= 7, small.source());
    }
}
