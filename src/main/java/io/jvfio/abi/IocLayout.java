package io.jvfio.abi;

/**
 * The bit layout of an ioctl request number ({@code _IOC(dir, type, nr, size)}).
 *
 * <p>asm-generic: 8 nr bits, 8 type bits, 14 size bits, 2 direction bits; NONE = 0, WRITE = 1,
 * READ = 2. powerpc: 13 size bits and 3 direction bits; NONE = 1, READ = 2, WRITE = 4. So
 * {@code _IO()} (direction NONE) sets bit 29 on powerpc and nothing on x86.
 */
public enum IocLayout {
    GENERIC(14, 3, 0, 1, 2),
    POWERPC(13, 7, 1, 4, 2);

    public static final int NRBITS = 8;
    public static final int TYPEBITS = 8;
    public static final int NRSHIFT = 0;
    public static final int TYPESHIFT = NRSHIFT + NRBITS;
    public static final int SIZESHIFT = TYPESHIFT + TYPEBITS;

    public final int sizeBits;
    public final int dirMask;
    public final int none;
    public final int write;
    public final int read;

    IocLayout(int sizeBits, int dirMask, int none, int write, int read) {
        this.sizeBits = sizeBits;
        this.dirMask = dirMask;
        this.none = none;
        this.write = write;
        this.read = read;
    }

    public int dirShift() {
        return SIZESHIFT + sizeBits;
    }
}
