package io.jvfio.backend.kernel;

/**
 * The libc/kernel constants the kernel backend passes to open, mmap and eventfd. These values are
 * the same on x86-64, aarch64 and ppc64le (powerpc differs only in flags jvfio does not use, such as
 * MAP_NORESERVE and MAP_LOCKED); AbiGoldenTest pins them against the C compiler for both architectures.
 */
final class LinuxUapi {
    private LinuxUapi() {}

    static final int O_RDWR = 02;
    static final int O_CLOEXEC = 02000000;
    static final int PROT_NONE = 0x0;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_HUGETLB = 0x40000;
    static final int EFD_CLOEXEC = O_CLOEXEC;
    static final int SC_PAGESIZE = 30;
}
