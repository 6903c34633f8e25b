package io.jvfio.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The guest images {@code make images} (qemu-images/build.sh) leaves in
 * {@code ${JVFIO_CACHE:-~/.cache/jvfio}/images}: kernels, base initramfs archives (uncompressed newc:
 * busybox, the VFIO modules, a ppc64le JDK runtime at /opt/jdk, the jvfio /init), the package versions
 * they came from, and a qemu-user wrapper that runs the ppc64le JVM on the host.
 */
public final class GuestImages {
    /** A kernel page-size flavour: its vmlinux and the base initramfs that matches its modules. */
    public enum Flavour {
        /** 4 KiB pages: the default guest. */
        K4("vmlinux", "base.cpio", 4096),
        /** 64 KiB pages (build.sh --with-64k): needed for a nested-KVM L1. */
        K64("vmlinux-64k", "base-64k.cpio", 65536);

        private final String kernel;
        private final String initramfs;
        private final long pageSize;

        Flavour(String kernel, String initramfs, long pageSize) {
            this.kernel = kernel;
            this.initramfs = initramfs;
            this.pageSize = pageSize;
        }

        /** The kernel's PAGE_SIZE in bytes. */
        public long pageSize() {
            return pageSize;
        }

        /** The flavour whose PAGE_SIZE is {@code bytes}, or an IllegalArgumentException naming both. */
        public static Flavour ofPageSize(long bytes) {
            for (Flavour f : values()) {
                if (f.pageSize == bytes) {
                    return f;
                }
            }
            throw new IllegalArgumentException("no guest kernel flavour with " + bytes + "-byte pages (4k or 64k)");
        }

        /**
         * The flavour a command line names: {@code 4k} or {@code 64k} (any case; also {@code 4K},
         * {@code 4096}, {@code 65536}), or an IllegalArgumentException naming the choices.
         */
        public static Flavour named(String pageSize) {
            String p = pageSize.strip().toLowerCase(java.util.Locale.ROOT);
            long bytes = switch (p) {
                case "4k", "4096" -> 4096;
                case "64k", "65536" -> 65536;
                default -> throw new IllegalArgumentException("page size '" + pageSize + "': 4k or 64k");
            };
            return ofPageSize(bytes);
        }

        public String kernelFile() {
            return kernel;
        }

        public String initramfsFile() {
            return initramfs;
        }
    }

    private final Path dir;
    private final Path runtimeDir;

    private GuestImages(Path dir) {
        this(dir, dir);
    }

    private GuestImages(Path dir, Path runtimeDir) {
        this.dir = dir;
        this.runtimeDir = runtimeDir;
    }

    /** The images of a kernel choice in {@link #dirFor}, unchecked; the shared runtime stays in {@link #defaultDir()}. */
    public static GuestImages forKernel(String kernel) {
        return new GuestImages(dirFor(kernel), defaultDir());
    }

    /** The images of a kernel choice, checked for {@code flavour} ("run make images" / build.sh --kernel if absent). */
    public static GuestImages locate(String kernel, Flavour flavour) {
        GuestImages images = forKernel(kernel);
        images.missing(flavour).ifPresent(reason -> {
            throw new GuestUnavailableException(reason);
        });
        return images;
    }

    /** The cache root: system property {@code jvfio.cache}, else {@code $JVFIO_CACHE}, else ~/.cache/jvfio. */
    public static Path cacheDir() {
        String p = System.getProperty("jvfio.cache");
        if (p == null || p.isBlank()) {
            p = System.getenv("JVFIO_CACHE");
        }
        if (p == null || p.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "jvfio");
        }
        return Path.of(p);
    }

    /** The images directory under {@link #cacheDir()} (it may not exist). */
    public static Path defaultDir() {
        return cacheDir().resolve("images");
    }

    /**
     * Where the images of a guest kernel choice ({@link GuestSetup#KERNELS}) live: 6.12's in
     * {@link #defaultDir()} itself (unchanged for existing caches), the others in a subdirectory named
     * after the choice ({@code images/6.1}, {@code images/newest}); the JDK runtime is shared.
     */
    public static Path dirFor(String kernel) {
        return GuestSetup.DEFAULT_KERNEL.equals(kernel) ? defaultDir() : defaultDir().resolve(kernel);
    }

    /** The images in {@link #defaultDir()}, or a {@link GuestUnavailableException} saying to run make images. */
    public static GuestImages locate() {
        return locate(defaultDir(), GuestImages.Flavour.K4);
    }

    /** The images in {@code dir}, checked for {@code flavour}. */
    public static GuestImages locate(Path dir, Flavour flavour) {
        GuestImages images = new GuestImages(dir);
        images.missing(flavour).ifPresent(reason -> {
            throw new GuestUnavailableException(reason);
        });
        return images;
    }

    /** How long a first image build may take (downloads included): {@code -Djvfio.images.buildTimeout} seconds. */
    public static final long BUILD_TIMEOUT_S = Long.getLong("jvfio.images.buildTimeout", 3600);

    /**
     * The images in {@link #defaultDir()} for {@code flavour}, building them first when missing with
     * {@code qemu-images/build.sh} ({@link ImageScripts}: the same script {@code make images} runs; its
     * progress goes to stderr).
     *
     * @throws GuestUnavailableException when the build fails or leaves them incomplete
     */
    public static GuestImages ensure(Flavour flavour) {
        return ensure(GuestSetup.DEFAULT_KERNEL, flavour);
    }

    /** {@link #ensure(Flavour)} for a kernel choice ({@link GuestSetup#KERNELS}), in {@link #dirFor}. */
    public static GuestImages ensure(String kernel, Flavour flavour) {
        GuestImages images = forKernel(kernel);
        if (images.missing(flavour).isEmpty()) {
            return images;
        }
        System.err.println("[images] the " + kernel + " guest images are not in " + images.dir() + ": building them"
                + " from Debian's packages (once; several minutes)");
        build(kernel, flavour, List.of());
        return locate(kernel, flavour);
    }

    /**
     * Runs {@code build.sh} for {@code flavour} (it only checks its stamps when everything is current).
     *
     * @throws GuestUnavailableException when it fails
     */
    public static void build(Flavour flavour, List<String> extraArgs) {
        build(GuestSetup.DEFAULT_KERNEL, flavour, extraArgs);
    }

    /** {@link #build(Flavour, List)} for a kernel choice: {@code build.sh --kernel KERNEL}. */
    public static void build(String kernel, Flavour flavour, List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of("--kernel", kernel));
        args.addAll(extraArgs);
        if (flavour == Flavour.K64) {
            args.add("--with-64k");
        }
        int rc = ImageScripts.run("build.sh", args, BUILD_TIMEOUT_S);
        if (rc != 0) {
            throw new GuestUnavailableException("building the guest images failed (" + ImageScripts.script("build.sh")
                    + " exited with " + rc + (rc == 124 ? ": timed out after " + BUILD_TIMEOUT_S + " s" : "")
                    + "; its log is above)");
        }
    }

    /** The images directory {@code dir}, unchecked: ask {@link #missing} before booting from it. */
    public static GuestImages at(Path dir) {
        return new GuestImages(dir);
    }

    /** The images in {@link #defaultDir()} when they are complete for {@code flavour}. */
    public static Optional<GuestImages> find(Flavour flavour) {
        GuestImages images = new GuestImages(defaultDir());
        return images.missing(flavour).isPresent() ? Optional.empty() : Optional.of(images);
    }

    /** Why this directory cannot boot {@code flavour}, or empty when it can. */
    public Optional<String> missing(Flavour flavour) {
        List<String> absent = new ArrayList<>();
        for (String f : List.of(flavour.kernelFile(), flavour.initramfsFile())) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                absent.add(f);
            }
        }
        if (absent.isEmpty()) {
            return Optional.empty();
        }
        String kernelArg = dir.equals(runtimeDir) ? "" : " --kernel " + dir.getFileName();
        String how = flavour == Flavour.K64 ? "run qemu-images/build.sh --with-64k" + kernelArg
                : kernelArg.isEmpty() ? "run make images" : "run jvfio images" + kernelArg;
        return Optional.of("no guest images: " + String.join(" and ", absent) + " missing in " + dir + " (" + how
                + "; JVFIO_CACHE or -Djvfio.cache chooses the cache)");
    }

    public Path dir() {
        return dir;
    }

    /** Where the guest runtime shared by every kernel lives ({@code jdk-guest}, {@code sysroot}, the qemu-user JDK). */
    public Path runtimeDir() {
        return runtimeDir;
    }

    public Path kernel(Flavour flavour) {
        return dir.resolve(flavour.kernelFile());
    }

    public Path initramfs(Flavour flavour) {
        return dir.resolve(flavour.initramfsFile());
    }

    /** versions.lock: the Debian packages (suite, version, sha256) the images were built from. */
    public String versions() {
        try {
            return Files.readString(dir.resolve("versions.lock"));
        } catch (IOException e) {
            return "(no versions.lock in " + dir + ")";
        }
    }

    /**
     * The kernel these images boot, from versions.lock: its first package line, e.g.
     * {@code linux-image-6.12.95+deb12-powerpc64le bookworm-backports 6.12.95-1~bpo12+1} (without the sha256).
     */
    public String kernelPackage() {
        return firstPackage(versions()).orElse("(unknown kernel: no versions.lock in " + dir + ")");
    }

    /**
     * The kernel package of a flavour: {@link #kernelPackage()} for 4 KiB pages; for 64 KiB the first line
     * of build.sh's {@code .lock-64k} (e.g. {@code linux-image-6.12.95+deb12-powerpc64le-64k ...}).
     */
    public String kernelPackage(Flavour flavour) {
        if (flavour == Flavour.K4) {
            return kernelPackage();
        }
        try {
            return firstPackage(Files.readString(dir.resolve(".lock-64k"))).orElseGet(this::kernelPackage);
        } catch (IOException e) {
            return kernelPackage();
        }
    }

    private static Optional<String> firstPackage(String lock) {
        return lock.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst()
                .map(l -> l.replaceFirst(" [0-9a-f]{64}$", ""));
    }

    /**
     * The upstream release of the images' kernel, from its Debian package version in versions.lock
     * ({@code 7.2.12-1} gives {@code 7.2.12}, {@code 6.12.95-1~bpo12+1} gives {@code 6.12.95}): what the
     * emulator models when it is compared with this kernel. Empty without a versions.lock.
     */
    public Optional<String> kernelRelease() {
        String[] t = kernelPackage().split("\\s+");
        return t.length >= 3 && t[2].matches("\\d+\\.\\d+\\.\\d+.*") ? Optional.of(t[2].replaceFirst("-.*", ""))
                : Optional.empty();
    }

    /** The host-side ppc64le {@code java} (qemu-user wrapper; usable as surefire's {@code -Djvm=}). */
    public Optional<Path> qemuUserJava() {
        Path p = runtimeDir.resolve("qemu-user-jdk/bin/java");
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    @Override
    public String toString() {
        return "GuestImages[" + dir + "]";
    }
}
