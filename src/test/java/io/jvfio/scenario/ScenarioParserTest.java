package io.jvfio.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ScenarioParserTest {

    static Scenario parse(String text) throws ScenarioSyntaxException {
        return ScenarioParser.parse("t.scn", text);
    }

    /** The syntax error of {@code text}, which must have exactly one, on {@code line}. */
    static ScenarioSyntaxException.Error error(String text, int line) {
        ScenarioSyntaxException e = assertThrows(ScenarioSyntaxException.class, () -> parse(text));
        assertEquals(1, e.errors().size(), () -> "errors: " + e.errors());
        assertEquals(line, e.errors().getFirst().line(), () -> "wrong line: " + e.errors());
        assertEquals("t.scn", e.errors().getFirst().file());
        assertTrue(e.errors().getFirst().toString().startsWith("t.scn:" + line + ": "));
        return e.errors().getFirst();
    }

    @Test
    void parsesTheExamplesTokensAndComments() throws Exception {
        Scenario s = parse("""
                # header
                api-version

                alloc buf 4M
                map 0 64K buf   # a comment
                """);
        assertEquals(3, s.steps().size());
        Step map = s.steps().get(2);
        assertEquals(3, map.index());
        assertEquals(5, map.line());
        assertEquals("map 0 64K buf", map.text());
        Action.Map m = assertInstanceOf(Action.Map.class, map.action());
        assertEquals(0, m.iova());
        assertEquals(65536, m.size());
        assertEquals(3, m.flags());
        assertNull(map.expect());
    }

    @ParameterizedTest
    @CsvSource({"4096,4096", "0x1000,4096", "0X1F,31", "64K,65536", "1G,1073741824", "2M,2097152", "1T,1099511627776",
        "0xffffffffffffffff,-1", "0,0", "007,7"})
    void numbers(String token, long value) {
        assertEquals(value, Numbers.parse(token));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "abc", "0x", "1.5", "64k", "0x10K", "K", "18446744073709551616", "16777216T", "0x10000000000000000", "1e3", "+4"})
    void badNumbersAreSyntaxErrors(String token) {
        String msg = error("alloc b 4M\nunmap " + token + " 4K\n", 2).message();
        assertTrue(msg.contains(token), msg);
    }

    @Test
    void perKernelExpect_choosesByTheReleasesFix() throws Exception {
        Expect e = parse("unmap 0x3fff0000 128K -> ok | 0b271f7d7f5e: ret=1\n").steps().get(0).expect();
        assertEquals("ok | 0b271f7d7f5e: ret=1", e.text());
        assertEquals(Expect.Kind.OK, e.forKernel("6.12.95+deb12-powerpc64le").kind());
        assertEquals(Expect.Kind.RET, e.forKernel("7.2.12+deb14-powerpc64le").kind());
        assertEquals(1, e.forKernel("7.2.12").ret());
    }

    @Test
    void perKernelExpect_needsAKnownChangeOnceAndAnExpect() {
        String m = error("unmap 0 4K -> ok | deadbeef1: ret=1", 1).message();
        assertTrue(m.contains("bad kernel alternative 'deadbeef1: ret=1'") && m.contains("0b271f7d7f5e"), m);
        assertTrue(error("unmap 0 4K -> ok | 0b271f7d7f5e: ret=1 | 0b271f7: EINVAL", 1).message().contains("given twice"));
        assertTrue(error("unmap 0 4K -> ok | 0b271f7d7f5e:", 1).message().contains("empty EXPECT"));
        assertTrue(error("unmap 0 4K -> | 0b271f7d7f5e: ret=1", 1).message().contains("empty EXPECT"));
    }

    @Test
    void perPageSizeExpect_choosesByTheKernelsPageSize() throws Exception {
        Expect e = parse("alloc b 1M\nmap 0x800000000000000 64K b -> EINVAL | 64K: ok\n").steps().get(1).expect();
        assertEquals("EINVAL | 64K: ok", e.text());
        assertEquals(Expect.Kind.ERRNO, e.forKernel("6.12.95", 4096).kind());
        assertEquals(Expect.Kind.OK, e.forKernel("6.12.95", 65536).kind());
        // A page-size alternative decides before a change's: the two are independent kernel properties.
        Expect both = parse("unmap 0 4K -> ok | 0b271f7d7f5e: ret=1 | 64K: EINVAL\n").steps().get(0).expect();
        assertEquals(Expect.Kind.RET, both.forKernel("7.2.12", 4096).kind());
        assertEquals(Expect.Kind.ERRNO, both.forKernel("7.2.12", 65536).kind());
        assertTrue(error("unmap 0 4K -> ok | 64K: EINVAL | 64K: ok", 1).message().contains("given twice"));
        String m = error("unmap 0 4K -> ok | 16K: EINVAL", 1).message();
        assertTrue(m.contains("bad kernel alternative '16K: EINVAL'") && m.contains("4K or 64K"), m);
    }

    @Test
    void negativeNumbersSayso() {
        assertTrue(error("remove -1", 1).message().contains("negative"));
    }

    @Test
    void unknownOperation() {
        String m = error("api-version\n\nmapp 0 4K b\n", 3).message();
        assertTrue(m.startsWith("unknown operation 'mapp'; the operations: api-version, check-extension, "), m);
        assertTrue(m.contains(", eeh, group, container (docs/scenario-format.md)"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"api-version 1", "check-extension", "check-extension 1 2", "open-group", "open-group 0 1",
        "group-status 1", "set-container x", "unset-container 0", "set-iommu", "tce-info 32", "enable 1", "disable 1",
        "alloc b", "alloc b 4M hugetlb x", "free", "register", "register b 0", "register b 0 4K 1", "unregister b 0",
        "map 0 4K", "map 0 4K b rw 1", "unmap 0", "unmap 0 4K 1", "create 16 1G", "create 16 1G 1 1", "remove",
        "remove 0 0", "device", "device a b", "device-info 0", "region-info", "region-info 0 1", "close-device 1",
        "eeh", "eeh 1 2"})
    void wrongArgumentCount(String line) {
        String msg = error("alloc b 4M\n" + line + "\n", 2).message();
        assertTrue(msg.contains("takes"), msg);
    }

    @Test
    void overridesOnEveryIoctlOpButNotOnAllocOrFree() throws Exception {
        Scenario s = parse("""
                alloc b 4M
                create 16 1G 1 flags=1
                unmap 0 64K argsz=8
                tce-info argsz=16 flags=2
                api-version argsz=3
                set-container flags=1
                map 0 4K b r flags=3
                """);
        assertEquals(1L, s.steps().get(1).flags());
        assertEquals(8L, s.steps().get(2).argsz());
        assertEquals(16L, s.steps().get(3).argsz());
        assertEquals(2L, s.steps().get(3).flags());
        assertEquals(3L, s.steps().get(4).argsz());
        assertEquals("map 0 4K b r flags=3", s.steps().get(6).text());
        assertTrue(error("alloc b 4M argsz=8", 1).message().contains("not an ioctl"));
        assertTrue(error("alloc b 4M\nfree b flags=1", 2).message().contains("not an ioctl"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unmap 0 4K foo=1", "unmap 0 4K argsz=1 argsz=2", "unmap 0 4K flags=1 flags=1",
        "unmap 0 4K argsz=0x100000000", "unmap 0 4K argsz=x", "create 0x100000000 1G 1", "region-info 4294967296",
        "eeh 4294967296", "create 16 1G 99999999999", "unmap 0 4K vaddr=0", "remove 0 vaddr=1",
        "tce-info vaddr=0x1000"})
    void badOverridesAndFieldWidths(String line) {
        error(line, 1);
    }

    @Test
    void vaddrOverridesRegisterUnregisterAndMap() throws Exception {
        Scenario s = parse("alloc b 4M\nregister b vaddr=0xffffffffffffffff\nunregister b 0 4K vaddr=0\nmap 0 4K b vaddr=0x1000\n");
        assertEquals(-1L, s.steps().get(1).vaddr());
        assertEquals(0L, s.steps().get(2).vaddr());
        assertEquals(0x1000L, s.steps().get(3).vaddr());
        assertNull(s.steps().get(0).vaddr());
        assertEquals("map 0 4K b vaddr=0x1000", s.steps().get(3).text());
        assertTrue(error("alloc b 4M\nregister b vaddr=1 vaddr=2", 2).message().contains("given twice"));
    }

    @Test
    void buffersMustBeAllocatedEarlierInTheFile() {
        assertTrue(error("register b\nalloc b 4M\n", 1).message().contains("before any 'alloc b'"));
        error("alloc a 4M\nmap 0 4K b", 2);
        error("alloc a 4M\nmap 0 4K b+0x1000", 2);
        error("free b", 1);
        error("unregister b 0 4K", 1);
        error("alloc 1b 4M", 1);
        error("alloc a 4M\nmap 0 4K a+", 2);
        error("alloc a 4M\nmap 0 4K a+x", 2);
    }

    @Test
    void mapDirectionsAndOffsets() throws Exception {
        Scenario s = parse("alloc a 4M\nmap 0 4K a r\nmap 0 4K a+64K w\nmap 0 4K a rw\n");
        assertEquals(1, ((Action.Map) s.steps().get(1).action()).flags());
        Action.Map w = (Action.Map) s.steps().get(2).action();
        assertEquals(2, w.flags());
        assertEquals(65536, w.offset());
        assertEquals(3, ((Action.Map) s.steps().get(3).action()).flags());
        error("alloc a 4M\nmap 0 4K a x", 2);
        error("alloc a 4M hugepage", 1);
    }

    @Test
    void namedArguments() throws Exception {
        Scenario s = parse("""
                check-extension spapr-v1
                check-extension spapr-v2
                check-extension eeh
                check-extension type1
                check-extension type1v2
                check-extension 10
                set-iommu v1
                set-iommu v2
                set-iommu 8
                eeh enable
                eeh disable
                eeh get-state
                eeh unfreeze-io
                eeh unfreeze-dma
                eeh reset-hot
                eeh reset-fundamental
                eeh reset-deactivate
                eeh configure
                eeh 9
                """);
        long[] ext = s.steps().subList(0, 6).stream().mapToLong(st -> ((Action.CheckExtension) st.action()).extension()).toArray();
        assertEquals(List.of(2L, 7L, 5L, 1L, 3L, 10L), java.util.Arrays.stream(ext).boxed().toList());
        assertEquals(2, ((Action.SetIommu) s.steps().get(6).action()).type());
        assertEquals(7, ((Action.SetIommu) s.steps().get(7).action()).type());
        int[] eeh = s.steps().subList(9, 19).stream().mapToInt(st -> ((Action.Eeh) st.action()).peOp()).toArray();
        assertEquals(List.of(1, 0, 4, 2, 3, 6, 7, 5, 8, 9), java.util.Arrays.stream(eeh).boxed().toList());
        error("check-extension spapr-v3", 1);
        error("set-iommu v3", 1);
        error("eeh inject", 1);
    }

    @Test
    void expectations() throws Exception {
        Scenario s = parse("""
                api-version -> ok value=0
                open-group 0 -> any
                create 16 1G 1 -> ok start=0x800000000000000
                tce-info -> ok flags=1 pgsizes=0x1211000 max_windows=2
                unmap 0x1001 4K -> ret=1
                set-iommu v2 -> EINVAL
                device-info -> ERRNO200
                """);
        Expect e = s.steps().get(2).expect();
        assertEquals(Expect.Kind.OK, e.kind());
        assertEquals(1L << 59, e.fields().get("start"));
        assertEquals("ok start=0x800000000000000", e.text());
        assertEquals(Expect.Kind.ANY, s.steps().get(1).expect().kind());
        assertEquals(Expect.Kind.RET, s.steps().get(4).expect().kind());
        assertEquals(22, s.steps().get(5).expect().errno());
        assertEquals(200, s.steps().get(6).expect().errno());
        assertEquals("tce-info", s.steps().get(3).text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"api-version -> okay", "api-version -> ok start=0", "map2 -> ok", "unmap 0 4K -> ok flags=0",
        "api-version -> ok value", "api-version -> ok value=x", "api-version -> ok value=1 value=1", "api-version -> ret=",
        "api-version -> ret=-1", "api-version -> EPERMX", "api-version -> eperm", "api-version -> any ok",
        "api-version -> EPERM EINVAL", "api-version ->", "api-version -> ok -> ok", "-> ok", "api-version -> ERRNO1",
        "api-version -> ERRNO0", "api-version -> KERNEL-BUG", "api-version -> ok =1"})
    void badExpectations(String line) {
        error("alloc b 4M\n" + line.replace("map2", "map 0 4K b x"), 2);
    }

    @Test
    void everyErrorIsReportedWithItsLine() {
        ScenarioSyntaxException e = assertThrows(ScenarioSyntaxException.class,
                () -> parse("api-version\nbogus\napi-version\nmap 0 1 nobuf\n"));
        assertEquals(List.of(2, 4), e.errors().stream().map(ScenarioSyntaxException.Error::line).toList());
        assertEquals(2, e.line());
    }

    @Test
    void crlfAndTabsAreWhitespace() throws Exception {
        Scenario s = parse("api-version\r\n\tcheck-extension\t2 \t-> ok value=1\r\n");
        assertEquals("check-extension 2", s.steps().get(1).text());
        assertFalse(s.steps().isEmpty());
    }
}
