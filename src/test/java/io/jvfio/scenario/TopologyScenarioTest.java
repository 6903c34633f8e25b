package io.jvfio.scenario;

import static io.jvfio.scenario.ScenarioParserTest.error;
import static io.jvfio.scenario.ScenarioParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scenario language's topology extensions: {@code #% platform}, {@code group N}, {@code container N}. */
class TopologyScenarioTest {

    private static List<String> run(Scenario s) throws ScenarioStartException {
        List<String> lines = new ArrayList<>();
        try (EmulatedBackend b = new EmulatedBackend(s.process().applyTo(Profile.named(s.platformOr(Profile.QEMU_PSERIES))))) {
            new ScenarioRunner(b).run(s, step -> { }, r -> lines.addAll(ResultFormat.text(r)));
        }
        return lines;
    }

    @Test
    void platformDirectiveNamesTheProfile() throws Exception {
        Scenario s = parse("#% platform qemu-pseries-topology\nopen-group 2 -> ok\n");
        assertEquals(Profile.QEMU_PSERIES_TOPOLOGY, s.platform());
        assertEquals(1, s.steps().size(), "the directive is not a step");
        assertEquals(List.of("1: open-group 2 -> ok"), run(s));
        assertNull(parse("open-group 0\n").platform());
        assertEquals("qemu-pseries", parse("open-group 0\n").platformOr("qemu-pseries"));
    }

    @Test
    void groupAndContainerSelectHandles() throws Exception {
        List<String> lines = run(parse("""
                #% platform qemu-pseries-topology
                open-group 0
                set-container
                open-group 1
                container 2
                set-container
                group 0
                group-status
                container 1
                set-iommu v2
                container 2
                set-iommu v2
                group 5
                group-status
                """));
        assertEquals(List.of("1: open-group 0 -> ok", "2: set-container -> ok", "3: open-group 1 -> ok",
                "4: container 2 -> ok", "5: set-container -> ok", "6: group 0 -> ok",
                "7: group-status -> ok flags=0x3", "8: container 1 -> ok", "9: set-iommu v2 -> ok",
                "10: container 2 -> ok", "11: set-iommu v2 -> ok", "12: group 5 -> ok", "13: group-status -> EBADF"),
                lines, "group 1 went to container 2; a group never opened is fd -1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"#% platform\napi-version\n", "#% platform nope\napi-version\n", "container 0\n",
            "group\n", "group 1 flags=1\n", "container 2 argsz=8\n"})
    void badUse(String text) {
        String msg = error(text, 1).toString();
        assertTrue(msg.length() > 20, msg);
    }
}
