package io.jvfio.contract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * kernel-observed-6.12-pseries.txt, parsed: what a real 6.12 pSeries guest answered, call by call.
 * Every line of the file is either understood or rejected, so a changed file cannot be half-read.
 */
record ObservedTrace(Path file, String device, long normalBase, long normalSize, long hugeBase, long hugeSize,
        List<Block> blocks) {

    /** One "##### TEST ..." section: a fresh container, its calls in order. */
    record Block(String title, int line, List<Step> steps) {}

    /** One call line, what the kernel answered, and the value lines printed after it. */
    record Step(int line, String call, boolean ok, long ret, int errno, String okText, List<Detail> details) {
        String expected() {
            if (!ok) {
                return "FAIL errno=" + errno + " (" + io.jvfio.backend.Errno.name(errno) + ")";
            }
            return okText != null ? "OK " + okText : "OK ret=" + ret;
        }
    }

    record Detail(int line, String text) {}

    static final String FILE_NAME = "kernel-observed-6.12-pseries.txt";

    private static final Pattern HEADER = Pattern.compile(
            "vfiotest: group=(\\d+) device=(\\S+) pagesize=(\\d+) hugepagesize=(\\d+)");
    private static final Pattern BUFFER = Pattern.compile("  (normal|hugetlb) buffer (0x[0-9a-f]+) size (0x[0-9a-f]+) .*");
    private static final Pattern BLOCK = Pattern.compile("##### (TEST \\d+: .*)");
    private static final Pattern STEP = Pattern.compile(
            "  (\\S.*?)\\s+-> (OK|FAIL) ret=(-?\\d+)(?: errno=(\\d+) \\((.*)\\))?\\s*");
    private static final Pattern MMAP_STEP = Pattern.compile("  (mmap \\S+)\\s+-> OK (0x[0-9a-f]+)\\s*");
    private static final Pattern DETAIL = Pattern.compile("    (\\S.*)");
    private static final Pattern DMESG = Pattern.compile("\\[\\s*\\d+\\.\\d+\\] .*");

    /**
     * {@code -Djvfio.observed.file}; else the file next to the project ({@code ../shared/reference}, the
     * original); else the project's copy ({@code src/test/resources/reference}, for clones elsewhere);
     * else, in the guest, the copy on the test class path.
     */
    static Optional<Path> locate() {
        String explicit = System.getProperty("jvfio.observed.file");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        Path project = Path.of(System.getProperty("jvfio.project.dir", System.getProperty("user.dir")));
        for (Path p : List.of(project.resolve("../shared/reference").resolve(FILE_NAME).normalize(),
                project.resolve(VENDORED).resolve(FILE_NAME))) {
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        java.net.URL url = ObservedTrace.class.getResource("/reference/" + FILE_NAME);
        if (url != null && url.getProtocol().equals("file")) {
            try {
                return Optional.of(Path.of(url.toURI()));
            } catch (java.net.URISyntaxException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The project's copy of the trace, relative to the project directory. */
    public static final String VENDORED = "src/test/resources/reference";

    static ObservedTrace parse(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String device = null;
        long nb = 0;
        long ns = 0;
        long hb = 0;
        long hs = 0;
        List<Block> blocks = new ArrayList<>();
        List<Step> steps = null;
        List<Detail> details = null;
        for (int i = 0; i < lines.size(); i++) {
            int no = i + 1;
            String l = lines.get(i);
            Matcher m;
            if (l.isBlank() || l.startsWith("# ") || l.equals("vfiotest: finished") || DMESG.matcher(l).matches()
                    || l.startsWith("  -- ")) {
                continue;
            }
            if (blocks.isEmpty() && steps == null && !l.startsWith("#####") && !l.startsWith("vfiotest:")
                    && !BUFFER.matcher(l).matches()) {
                continue; // the prose before the first header
            }
            if ((m = HEADER.matcher(l)).matches()) {
                device = m.group(2);
            } else if ((m = BUFFER.matcher(l)).matches()) {
                long base = Long.decode(m.group(2));
                long size = Long.decode(m.group(3));
                if (m.group(1).equals("normal")) {
                    nb = base;
                    ns = size;
                } else {
                    hb = base;
                    hs = size;
                }
            } else if ((m = BLOCK.matcher(l)).matches()) {
                steps = new ArrayList<>();
                blocks.add(new Block(m.group(1), no, steps));
                details = null;
            } else if (steps != null && (m = STEP.matcher(l)).matches()) {
                details = new ArrayList<>();
                boolean ok = m.group(2).equals("OK");
                steps.add(new Step(no, m.group(1), ok, Long.parseLong(m.group(3)),
                        ok ? 0 : Integer.parseInt(m.group(4)), null, details));
            } else if (steps != null && (m = MMAP_STEP.matcher(l)).matches()) {
                details = new ArrayList<>();
                steps.add(new Step(no, m.group(1), true, 0, 0, m.group(2), details));
            } else if (details != null && (m = DETAIL.matcher(l)).matches()) {
                details.add(new Detail(no, m.group(1)));
            } else {
                throw new IOException(file + ":" + no + ": line not understood: " + l);
            }
        }
        if (device == null || nb == 0 || hb == 0) {
            throw new IOException(file + ": no vfiotest header with the device and both buffers");
        }
        return new ObservedTrace(file, device, nb, ns, hb, hs, List.copyOf(blocks));
    }

    Block block(String titlePrefix) {
        List<Block> found = blocks.stream().filter(b -> b.title().startsWith(titlePrefix)).toList();
        if (found.size() != 1) {
            throw new IllegalArgumentException(found.size() + " blocks titled '" + titlePrefix + "...' in " + file);
        }
        return found.get(0);
    }
}
