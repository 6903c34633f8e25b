package io.jvfio.abi;

import java.util.Locale;

/**
 * A CPU architecture as far as the Linux ioctl ABI is concerned.
 *
 * <p>The VFIO structs have the same layout everywhere (fixed-width fields, explicit padding); what
 * differs is the encoding of request numbers. x86-64 and aarch64 use the asm-generic layout, powerpc
 * its own ({@link IocLayout#POWERPC}), which makes every VFIO request 0x20000000 larger.
 */
public enum Arch {
    X86_64("x86_64", IocLayout.GENERIC),
    AARCH64("aarch64", IocLayout.GENERIC),
    PPC64LE("ppc64le", IocLayout.POWERPC);

    private final String id;
    private final IocLayout ioc;

    Arch(String id, IocLayout ioc) {
        this.id = id;
        this.ioc = ioc;
    }

    /** The name used on the command line and in the C dumper's output, e.g. {@code ppc64le}. */
    public String id() {
        return id;
    }

    public IocLayout ioc() {
        return ioc;
    }

    /** The architecture of the running JVM. */
    public static Arch host() {
        String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            case "ppc64le" -> PPC64LE;
            default -> throw new UnsupportedOperationException(
                    "jvfio does not know the ioctl encoding of os.arch=" + a + "; supported: x86_64, aarch64, ppc64le");
        };
    }

    /** Parses {@code x86_64}, {@code amd64}, {@code aarch64} or {@code ppc64le}. */
    public static Arch parse(String s) {
        String k = s.toLowerCase(Locale.ROOT);
        for (Arch arch : values()) {
            if (arch.id.equals(k)) {
                return arch;
            }
        }
        if (k.equals("amd64")) {
            return X86_64;
        }
        if (k.equals("arm64")) {
            return AARCH64;
        }
        throw new IllegalArgumentException("unknown architecture '" + s + "'; use x86_64, aarch64 or ppc64le");
    }
}
