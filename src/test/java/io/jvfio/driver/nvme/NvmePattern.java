package io.jvfio.driver.nvme;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The byte patterns the host and the guest agree on for the NVMe data-path tests: where each test
 * writes in the namespace (512-byte blocks) and what. The host writes {@link #HOST} into the image
 * before boot; the guest writes the others; the host checks them in the image after the guest exits.
 */
public final class NvmePattern {
    /** A region of the namespace and the seed of its bytes. */
    public record Region(String what, long lba, int blocks, int seed) {
        /** The expected bytes. */
        public byte[] bytes() {
            return NvmePattern.bytes(lba * BLOCK, blocks * BLOCK, seed);
        }
    }

    public static final int BLOCK = 512;
    /** The image the harness gives QEMU: 64 MiB. */
    public static final long IMAGE_BYTES = 64L << 20;
    /** 300 blocks: more than one 128 KiB command, so split, and each part through a PRP list. */
    public static final Region HOST = new Region("host-written pattern", 2048, 300, 0x5a);
    /** Written and flushed by the data-path test, one region per completion mode and window. */
    public static Region written(int mode) {
        return new Region("written (mode " + mode + ")", 16384 + mode * 512L, 200, 0x100 + mode);
    }
    /** Written without FLUSH; only the orderly shutdown commits it. */
    public static final Region UNFLUSHED = new Region("written, committed by shutdown only", 40000, 64, 0x200);
    /** Written by queue pair {@code t}, one thread each. */
    public static Region perThread(int t) {
        return new Region("written by thread " + t, 50000 + t * 256L, 100, 0x300 + t);
    }
    /** Written by function {@code f} of a multi-function slot: the same LBA on each, a pattern per function. */
    public static Region perFunction(int f) {
        return new Region("written by function " + f, 60000, 64, 0x400 + f);
    }
    public static final int MODES = 4;
    public static final int THREADS = 3;

    private NvmePattern() {}

    /** {@code length} bytes of the pattern {@code seed} as they sit at byte {@code offset} of the namespace. */
    public static byte[] bytes(long offset, int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            long p = offset + i;
            b[i] = (byte) (p * 131 + seed * 17L + (p >>> 9) * 7 + 1);
        }
        return b;
    }

    /** Reads a region's bytes from an image file. */
    public static byte[] readImage(Path image, Region r) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(r.blocks() * BLOCK);
            long pos = r.lba() * BLOCK;
            while (buf.hasRemaining() && ch.read(buf, pos + buf.position()) > 0) {
                // keep reading
            }
            return buf.array();
        }
    }

    /** Creates {@code image} ({@link #IMAGE_BYTES}, zero) with {@link #HOST} written into it. */
    public static void createImage(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(new byte[] {0}), IMAGE_BYTES - 1);
            ch.write(ByteBuffer.wrap(HOST.bytes()), HOST.lba() * BLOCK);
        }
    }
}
