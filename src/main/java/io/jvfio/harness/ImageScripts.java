package io.jvfio.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The {@code qemu-images/} scripts ({@code build.sh}, the docker and nested builders) as a directory
 * on disk, so the jar builds the guest images with the very scripts {@code make images} runs: the
 * repository's copy when {@code -Djvfio.project.dir} points at a checkout, else the copy packaged in
 * the jar ({@value #RESOURCE}), extracted once into {@code <cache>/scripts/<content hash>}.
 */
public final class ImageScripts {
    /** Where the packaged copy lives in the jar. */
    public static final String RESOURCE = "io/jvfio/harness/qemu-images";

    private static volatile Path extracted;

    private ImageScripts() {}

    /** The scripts directory: the checkout's {@code qemu-images}, else the jar's copy, extracted. */
    public static Path dir() {
        String project = System.getProperty("jvfio.project.dir");
        if (project != null && Files.isExecutable(Path.of(project, "qemu-images", "build.sh"))) {
            return Path.of(project, "qemu-images").toAbsolutePath();
        }
        Path d = extracted;
        if (d == null) {
            synchronized (ImageScripts.class) {
                if (extracted == null) {
                    extracted = extract(GuestImages.cacheDir().resolve("scripts"));
                }
                d = extracted;
            }
        }
        return d;
    }

    /** A script under {@link #dir()}, e.g. {@code build.sh} or {@code docker/build-image.sh}. */
    public static Path script(String relative) {
        return dir().resolve(relative);
    }

    /** Copies the packaged scripts into {@code root/<hash>} (unless there already) and returns that directory. */
    static Path extract(Path root) {
        Map<String, byte[]> files = packaged();
        Path target = root.resolve(hash(files));
        if (Files.isRegularFile(target.resolve(".complete"))) {
            return target;
        }
        try {
            Path tmp = Files.createDirectories(root).resolve(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Path p = tmp.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, f.getValue());
                boolean script = f.getValue().length > 2 && f.getValue()[0] == '#' && f.getValue()[1] == '!';
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(script ? "rwxr-xr-x" : "rw-r--r--"));
            }
            Files.writeString(tmp.resolve(".complete"), "extracted from the jvfio jar\n");
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(target.resolve(".complete"))) {
                    throw raced;
                }
                RunDirectory.deleteTree(tmp); // another JVM extracted the same content first
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the guest image scripts into " + root
                    + " (set JVFIO_CACHE to a writable directory)", e);
        }
    }

    /** Every packaged file by its path relative to {@value #RESOURCE}. */
    static Map<String, byte[]> packaged() {
        URL marker = ImageScripts.class.getClassLoader().getResource(RESOURCE + "/build.sh");
        if (marker == null) {
            throw new GuestUnavailableException("this jvfio jar carries no " + RESOURCE
                    + " (a build without resources?); run from a jvfio checkout with -Djvfio.project.dir=DIR");
        }
        try {
            URI uri = marker.toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    return read(fs.getPath("/" + RESOURCE));
                }
            }
            return read(Path.of(uri).getParent());
        } catch (IOException | URISyntaxException e) {
            throw new GuestUnavailableException("cannot read the packaged guest image scripts: " + e, e);
        }
    }

    private static Map<String, byte[]> read(Path base) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                try (InputStream in = Files.newInputStream(p)) {
                    out.put(base.relativize(p).toString(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    private static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                md.update(f.getKey().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(f.getValue());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs {@code script args...} from {@link #dir()} with all its output (progress) passed through to
     * this process's stderr, so stdout stays the caller's; bounded by {@code timeoutSeconds}. Returns its
     * exit status (124 on timeout, the whole process tree killed).
     */
    public static int run(String script, List<String> args, long timeoutSeconds) {
        List<String> argv = new java.util.ArrayList<>();
        argv.add(script(script).toString());
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new java.io.File("/dev/stderr"))).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("JVFIO_CACHE", GuestImages.cacheDir().toString());
        try {
            return QemuProcess.runBounded(pb, java.time.Duration.ofSeconds(timeoutSeconds));
        } catch (IOException e) {
            throw new GuestUnavailableException("cannot run " + argv.getFirst() + ": " + e.getMessage(), e);
        }
    }
}
