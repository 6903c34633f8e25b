package io.jvfio.emul.device.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One 64-byte submission queue entry (NvmeCmd), little-endian fields. */
final class NvmeCmd {
    static final int SIZE = 64;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    final MemorySegment raw = MemorySegment.ofArray(new byte[SIZE]);

    int opcode() {
        return raw.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }

    int flags() {
        return raw.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
    }

    /** NVME_CMD_FLAGS_FUSE. */
    int fuse() {
        return flags() & 0x3;
    }

    /** NVME_CMD_FLAGS_PSDT: 0 for PRPs. */
    int psdt() {
        return (flags() >>> 6) & 0x3;
    }

    int cid() {
        return raw.get(U16, 2) & 0xffff;
    }

    int nsid() {
        return raw.get(U32, 4);
    }

    long prp1() {
        return raw.get(U64, 24);
    }

    long prp2() {
        return raw.get(U64, 32);
    }

    /** Command dword 10 to 15. */
    int cdw(int n) {
        return raw.get(U32, 40 + 4L * (n - 10));
    }

    /** Command dword 10 and 11 as one 64-bit value (the SLBA of READ and WRITE). */
    long cdw10to11() {
        return raw.get(U64, 40);
    }

    static void putU16(MemorySegment s, long off, int v) {
        s.set(U16, off, (short) v);
    }

    static void putU32(MemorySegment s, long off, int v) {
        s.set(U32, off, v);
    }

    static void putU64(MemorySegment s, long off, long v) {
        s.set(U64, off, v);
    }

    static int getU32(MemorySegment s, long off) {
        return s.get(U32, off);
    }

    static long getU64(MemorySegment s, long off) {
        return s.get(U64, off);
    }
}
