package io.jvfio.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every size, count, length and address field of every ioctl the scenario language reaches, at its
 * degenerate values ({@code jvfio diff --degenerate}): 0, 1, page − 1, the largest unsigned value and,
 * for 64-bit fields, {@code 0xfffffffffffff000}, which is page-aligned and overflows when a page or a
 * buffer's address is added to it.
 *
 * <p>Each probe is a file of its own (a fresh platform): the setup its ioctl needs, the probe step
 * after a {@code # probe: OP.FIELD=VALUE} comment, and the steps that undo a probe that succeeded, so
 * one probe's outcome never changes another's. The window probes of CREATE share one file, since a
 * CREATE the hypervisor refuses puts the PE on the failed-DDW list until reboot: that file gets a boot
 * of its own, and the others share boots. The output is the same on every call.
 */
public final class DegenerateScenarios {
    /** The comment that precedes each file's probe step. */
    public static final String PROBE_MARK = "# probe: ";

    /** Degenerate values of a 32-bit field. */
    public static final List<Long> U32 = List.of(0L, 1L, 0xfffL, 0xffffffffL);
    /** Degenerate values of a 64-bit field. */
    public static final List<Long> U64 = List.of(0L, 1L, 0xfffL, -1L, 0xfffffffffffff000L);

    private static final String DEVICE = ScenarioGenerator.DEVICE;
    private static final String GROUP = "open-group 0\n";
    private static final String V2 = GROUP + "set-container\nset-iommu v2\n";
    private static final String V1 = GROUP + "set-container\nset-iommu v1\nenable\n";
    private static final String BUF = "alloc buf 64K\n";
    private static final String WINDOW = "0x800000000000000";

    private DegenerateScenarios() {}

    /** The files, by name ({@code degenerate-OP-FIELD-VALUE.scn}), in a fixed order. */
    public static Map<String, String> generate() {
        Map<String, String> files = new LinkedHashMap<>();
        u32("group-status", "argsz", GROUP, v -> "group-status argsz=" + v, "", files);
        u32("tce-info", "argsz", V2, v -> "tce-info argsz=" + v, "", files);
        for (String op : List.of("register", "unregister")) {
            boolean reg = op.equals("register");
            String setup = V2 + BUF + (reg ? "" : "register buf\n");
            // A probe that registered something is undone by the same UNREGISTER; an UNREGISTER probe is
            // followed by the whole buffer's.
            String undo = "unregister buf\n";
            u32(op, "argsz", setup, v -> op + " buf argsz=" + v, reg ? "unregister buf\n" : undo, files);
            u64(op, "vaddr", setup, v -> op + " buf vaddr=" + v, reg ? "unregister buf vaddr=%s\n" : undo, files);
            u64(op, "size", setup, v -> op + " buf 0 " + v, reg ? "unregister buf 0 %s\n" : undo, files);
        }
        for (String iommu : List.of("v2", "v1")) {
            boolean v2 = iommu.equals("v2");
            String setup = (v2 ? V2 : V1) + BUF + (v2 ? "register buf\n" : "");
            String after = v2 ? "unregister buf\n" : "";
            String op = "map-" + iommu;
            // Whatever a MAP at 0 mapped lies in the buffer's 64 KiB: a wider UNMAP would be a probe of its own.
            String undo = "unmap 0 64K\n" + after;
            u32(op, "argsz", setup, v -> "map 0 4K buf argsz=" + v, undo, files);
            u64(op, "iova", setup, v -> "map " + v + " 4K buf", "unmap %s 4K\n" + after, files);
            u64(op, "size", setup, v -> "map 0 " + v + " buf", undo, files);
            u64(op, "vaddr", setup, v -> "map 0 4K buf vaddr=" + v, undo, files);
        }
        String mapped = V2 + BUF + "register buf\nmap 0 64K buf\n";
        String unmapped = "unmap 0 64K\nunregister buf\n";
        u32("unmap", "argsz", mapped, v -> "unmap 0 64K argsz=" + v, unmapped, files);
        u64("unmap", "iova", mapped, v -> "unmap " + v + " 4K", unmapped, files);
        u64("unmap", "size", mapped, v -> "unmap 0 " + v, unmapped, files);
        files.put("degenerate-create.scn", create());
        String created = V2 + "create 16 4G 1\n";
        u32("remove", "argsz", created, v -> "remove " + WINDOW + " argsz=" + v, "remove " + WINDOW + "\n", files);
        u64("remove", "start", created, v -> "remove " + v, "remove " + WINDOW + "\n", files);
        String device = V2 + "device " + DEVICE + "\n";
        u32("device-info", "argsz", device, v -> "device-info argsz=" + v, "", files);
        u32("region-info", "argsz", device, v -> "region-info 0 argsz=" + v, "", files);
        u32("region-info", "index", device, v -> "region-info " + v, "", files);
        u32("eeh", "argsz", V2, v -> "eeh get-state argsz=" + v, "", files);
        u32("eeh", "op", V2, v -> "eeh " + v, "", files);
        return files;
    }

    /** The CREATE probes, one file; each created window is removed again. */
    private static String create() {
        StringBuilder b = new StringBuilder("# jvfio diff --degenerate: VFIO_IOMMU_SPAPR_TCE_CREATE\n").append(V2);
        List<String> probes = new ArrayList<>();
        U32.forEach(v -> probes.add(probe("create.argsz", v) + "create 16 4G 1 argsz=" + hex(v)));
        U32.forEach(v -> probes.add(probe("create.levels", v) + "create 16 4G " + hex(v)));
        U32.forEach(v -> probes.add(probe("create.page_shift", v) + "create " + hex(v) + " 4G 1"));
        U64.forEach(v -> probes.add(probe("create.window_size", v) + "create 16 " + hex(v) + " 1"));
        for (String p : probes) {
            b.append(p).append(" -> any\nremove ").append(WINDOW).append(" -> any\n");
        }
        return b.toString();
    }

    private interface Line {
        String of(String value);
    }

    private static void u32(String op, String field, String setup, Line probe, String undo, Map<String, String> files) {
        U32.forEach(v -> files.put(name(op, field, v), file(op, field, v, setup, probe, undo)));
    }

    private static void u64(String op, String field, String setup, Line probe, String undo, Map<String, String> files) {
        U64.forEach(v -> files.put(name(op, field, v), file(op, field, v, setup, probe, undo)));
    }

    private static String name(String op, String field, long v) {
        return "degenerate-" + op + "-" + field.replace('_', '-') + "-" + hex(v) + ".scn";
    }

    private static String file(String op, String field, long v, String setup, Line probe, String undo) {
        String value = hex(v);
        return "# jvfio diff --degenerate\n" + setup + probe(op.replaceFirst("-v[12]$", "") + "." + field, v)
                + probe.of(value) + " -> any\n" + undo.replace("%s", value);
    }

    private static String probe(String field, long v) {
        return PROBE_MARK + field + "=" + hex(v) + "\n";
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
