package io.jvfio.scenario;

import static io.jvfio.scenario.ScenarioParserTest.error;
import static io.jvfio.scenario.ScenarioParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The {@code #%} header: parsed into a {@link ProcessSpec}, a comment to every other reader. */
class ProcessDirectivesTest {

    @Test
    void headerIsParsed() throws Exception {
        Scenario s = parse("""
                # a service user with an 8 MiB limit
                #% memlock 8M
                #% user 1000:1001   # uid:gid
                #% cap CAP_DAC_OVERRIDE
                #% node 0 1000:1001 0660
                open-group 0 -> ok
                """);
        ProcessSpec p = s.process();
        assertEquals(8L << 20, p.memlockBytes());
        assertEquals(1000, p.uid());
        assertEquals(1001, p.gid());
        assertEquals(Set.of(Credentials.Capability.CAP_DAC_OVERRIDE), p.capabilities());
        assertEquals(Map.of(0, new DeviceNode(1000, 1001, 0660)), p.nodes());
        assertEquals(1, s.steps().size(), "directives are not steps");
        assertEquals(6, s.steps().getFirst().line(), "line numbers count them");
    }

    @Test
    void noHeaderInheritsAndUnlimitedAndDefaultGid() throws Exception {
        assertSame(ProcessSpec.INHERIT, parse("api-version\n").process());
        assertFalse(parse("api-version\n").process().stated());
        ProcessSpec p = parse("#% memlock unlimited\n#% user 7\napi-version\n").process();
        assertEquals(Long.MAX_VALUE, p.memlockBytes());
        Profile applied = p.applyTo(Profile.qemuPseries());
        assertEquals(Credentials.user(7, 7), applied.credentials(), "gid defaults to the uid, no capabilities");
    }

    @Test
    void appliedToTheEmulator() throws Exception {
        Scenario s = parse("#% memlock 4M\n#% user 1000\n#% node 0 1000:1000 0600\n#% node 9 0:0 0600\n"
                + "open-group 0 -> ok\nset-container -> ok\nset-iommu v2 -> ok\nalloc a 8M\nregister a -> ENOMEM\n"
                + "register a 0 4M -> ok\n");
        Profile p = s.process().applyTo(Profile.qemuPseries());
        assertEquals(4L << 20, p.memlockLimitBytes());
        assertEquals(new DeviceNode(1000, 1000, 0600), p.group(0).node());
        List<StepResult> results = new ArrayList<>();
        try (EmulatedBackend b = new EmulatedBackend(p)) {
            ScenarioRunner.Outcome o = new ScenarioRunner(b).run(s);
            results.addAll(o.results());
            assertEquals(ExitStatus.OK, o.exitStatus(), () -> results.toString());
        }
        assertTrue(results.get(4).text().contains("ENOMEM"), results.get(4).text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"#% memlock", "#% memlock -1", "#% user root", "#% user 1:2:3", "#% cap CAP_SYS_ADMIN",
            "#% node 0 1000 0600", "#% node 0 1000:1000 0999", "#% limit 8M"})
    void badDirectives(String line) {
        String msg = error(line + "\napi-version\n", 1).toString();
        assertTrue(msg.length() > 20, msg);
    }

    @Test
    void directiveAfterAnOperationAndCapWithoutUser() {
        assertTrue(error("api-version\n#% memlock 8M\n", 2).toString().contains("header"));
        assertTrue(error("#% cap CAP_IPC_LOCK\napi-version\n", 1).toString().contains("#% user"));
    }
}
