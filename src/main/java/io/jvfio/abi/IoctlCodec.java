package io.jvfio.abi;

/** Computes and takes apart ioctl request numbers for a given {@link Arch}. */
public final class IoctlCodec {
    private IoctlCodec() {}

    /** {@code _IOC(dir, type, nr, size)} with {@code dir} already in the architecture's encoding. */
    public static int ioc(Arch arch, int dir, int type, int nr, int size) {
        IocLayout l = arch.ioc();
        if ((dir & ~l.dirMask) != 0) {
            throw new IllegalArgumentException("direction " + dir + " does not fit " + l);
        }
        if (type < 0 || type > 0xff || nr < 0 || nr > 0xff) {
            throw new IllegalArgumentException("type and nr are 8-bit: type=" + type + " nr=" + nr);
        }
        if (size < 0 || size >= (1 << l.sizeBits)) {
            throw new IllegalArgumentException("size " + size + " does not fit " + l.sizeBits + " bits");
        }
        return (dir << l.dirShift()) | (size << IocLayout.SIZESHIFT) | (type << IocLayout.TYPESHIFT)
                | (nr << IocLayout.NRSHIFT);
    }

    /** {@code _IO(type, nr)}. */
    public static int io(Arch arch, int type, int nr) {
        return ioc(arch, arch.ioc().none, type, nr, 0);
    }

    /** {@code _IOR(type, nr, size)}: the kernel writes {@code size} bytes. */
    public static int ior(Arch arch, int type, int nr, int size) {
        return ioc(arch, arch.ioc().read, type, nr, size);
    }

    /** {@code _IOW(type, nr, size)}: the kernel reads {@code size} bytes. */
    public static int iow(Arch arch, int type, int nr, int size) {
        return ioc(arch, arch.ioc().write, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}. */
    public static int iowr(Arch arch, int type, int nr, int size) {
        return ioc(arch, arch.ioc().read | arch.ioc().write, type, nr, size);
    }

    public static int nr(int request) {
        return (request >>> IocLayout.NRSHIFT) & 0xff;
    }

    public static int type(int request) {
        return (request >>> IocLayout.TYPESHIFT) & 0xff;
    }

    public static int size(Arch arch, int request) {
        return (request >>> IocLayout.SIZESHIFT) & ((1 << arch.ioc().sizeBits) - 1);
    }

    public static int dir(Arch arch, int request) {
        return (request >>> arch.ioc().dirShift()) & arch.ioc().dirMask;
    }

    /** Lower-case hex with {@code 0x}, as {@code jvfio abi} prints request numbers. */
    public static String hex(int request) {
        return "0x" + Integer.toHexString(request);
    }
}
