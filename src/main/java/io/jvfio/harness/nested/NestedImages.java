package io.jvfio.harness.nested;

import io.jvfio.harness.GuestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The images a nested run boots: L1's (kernel + initramfs with QEMU, KVM modules and L2's kernel,
 * from {@code qemu-images/nested/build-l1.sh}, in {@code images/nested/l1}) and L2's base initramfs
 * (the 4K guest's {@code base.cpio}, from {@code make images}), under one images directory.
 */
public final class NestedImages {
    private final Path dir;

    private NestedImages(Path dir) {
        this.dir = dir;
    }

    /** The images under {@link GuestImages#defaultDir()} ({@code -Djvfio.cache}, {@code $JVFIO_CACHE}). */
    public static NestedImages atDefault() {
        return new NestedImages(GuestImages.defaultDir());
    }

    /** The images under {@code imagesDir} (the directory holding {@code base.cpio} and {@code nested/}). */
    public static NestedImages at(Path imagesDir) {
        return new NestedImages(imagesDir);
    }

    public Path dir() {
        return dir;
    }

    /** L1's image directory, laid out like {@link GuestImages} (vmlinux-64k + base-64k.cpio, ...). */
    public GuestImages l1() {
        return GuestImages.at(dir.resolve("nested").resolve("l1"));
    }

    /** L2's base initramfs (busybox, /init, VFIO modules, the JDK); the run's overlay goes after it. */
    public Path l2BaseInitramfs() {
        return dir.resolve(GuestImages.Flavour.K4.initramfsFile());
    }

    /** nested/versions.lock: the packages L1's image was built from. */
    public Path versionsLock() {
        return dir.resolve("nested").resolve("versions.lock");
    }

    /** Why a run with this L1 kernel cannot boot from here, or empty. */
    public Optional<String> missing(L1Kernel kernel) {
        List<String> absent = new ArrayList<>();
        l1().missing(kernel.flavour()).ifPresent(r -> absent.add("L1 image (" + kernel.id() + ")"));
        if (!Files.isRegularFile(l2BaseInitramfs())) {
            absent.add(l2BaseInitramfs().getFileName().toString());
        }
        if (absent.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("no nested images: " + String.join(" and ", absent) + " missing under " + dir
                + " (run qemu-images/nested/build-l1.sh" + (kernel == L1Kernel.K64 ? "" : " --l1-kernel " + kernel.id())
                + "; JVFIO_CACHE or -Djvfio.cache chooses the cache)");
    }

    @Override
    public String toString() {
        return "NestedImages[" + dir + "]";
    }
}
