package io.jvfio.emul.device.nvme;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The controller's namespace 1 (hw/nvme/ns.c for {@code -device nvme,drive=...}): 512-byte
 * blocks, no metadata, LBA format 0 of QEMU's eight. The backing store is process memory or a raw
 * image file whose size is the namespace's (trailing bytes short of a block are not addressable, as
 * {@code nsze = size / 512}); writes go to the file with positional writes, FLUSH forces it.
 */
public final class NvmeNamespace implements AutoCloseable {
    public static final int LBA_SIZE = 512;
    static final int LBA_DS = 9;
    private static final int DISCARD_GRANULARITY = 4096; // MIN_DISCARD_GRANULARITY

    private final FileChannel file;
    private final Arena arena;
    private final MemorySegment memory;
    private final long size;
    private final String what;
    private long flushes;

    private NvmeNamespace(FileChannel file, Arena arena, MemorySegment memory, long size, String what) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.size = size;
        this.what = what;
    }

    /** A namespace of {@code bytes} zeroed bytes of process memory (a multiple of 512). */
    public static NvmeNamespace memory(long bytes) {
        if (bytes <= 0 || bytes % LBA_SIZE != 0) {
            throw new IllegalArgumentException("NVMe namespace size " + bytes
                    + " is not a positive multiple of the 512-byte block size");
        }
        Arena arena = Arena.ofShared();
        return new NvmeNamespace(null, arena, arena.allocate(bytes, 4096), bytes, "memory");
    }

    /**
     * A namespace backed by the raw image {@code image}, opened read-write; its size is the file's.
     *
     * @throws IOException when the file cannot be opened (it must exist) or is smaller than a block
     */
    public static NvmeNamespace file(Path image) throws IOException {
        FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        long size = ch.size();
        if (size < LBA_SIZE) {
            ch.close();
            throw new IOException("NVMe image " + image + " has " + size
                    + " bytes: a namespace needs at least one 512-byte block (grow the file, e.g. truncate -s 1M)");
        }
        return new NvmeNamespace(ch, null, null, size, image.toString());
    }

    /**
     * Creates the raw image {@code image} of {@code bytes} zero bytes (sparse where the file system
     * allows) and opens it as {@link #file} does.
     *
     * @throws IOException when the file exists already or cannot be created
     */
    public static NvmeNamespace create(Path image, long bytes) throws IOException {
        if (bytes <= 0 || bytes % LBA_SIZE != 0) {
            throw new IllegalArgumentException("NVMe image size " + bytes
                    + " is not a positive multiple of the 512-byte block size");
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), bytes - 1); // the size, without writing the blocks
        }
        return file(image);
    }

    /** NSZE: the number of logical blocks. */
    public long blocks() {
        return size / LBA_SIZE;
    }

    /** How many times the backing store was forced (FLUSH commands and shutdowns). */
    public long flushes() {
        return flushes;
    }

    /** Reads {@code dst.byteSize()} bytes at byte offset {@code off}. */
    void read(long off, MemorySegment dst) throws IOException {
        if (file == null) {
            dst.copyFrom(memory.asSlice(off, dst.byteSize()));
            return;
        }
        ByteBuffer bb = dst.asByteBuffer();
        while (bb.hasRemaining()) {
            int n = file.read(bb, off + bb.position());
            if (n < 0) {
                throw new IOException("short read of " + what + " at " + (off + bb.position()));
            }
        }
    }

    /** Writes {@code src} at byte offset {@code off}. */
    void write(long off, MemorySegment src) throws IOException {
        if (file == null) {
            memory.asSlice(off, src.byteSize()).copyFrom(src);
            return;
        }
        ByteBuffer bb = src.asByteBuffer();
        while (bb.hasRemaining()) {
            file.write(bb, off + bb.position());
        }
    }

    /** blk_flush: data and metadata of the image reach the disk. */
    void flush() throws IOException {
        flushes++;
        if (file != null) {
            file.force(true);
        }
    }

    /** The Identify Namespace data structure (NvmeIdNs) as nvme_ns_init() fills it. */
    byte[] identify() {
        MemorySegment id = MemorySegment.ofArray(new byte[NvmeSpec.IDENTIFY_DATA_SIZE]);
        long nlbas = blocks();
        id.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, nlbas); // nsze
        id.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, nlbas); // ncap: no thin provisioning
        id.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, nlbas); // nuse
        id.set(ValueLayout.JAVA_BYTE, 24, (byte) (0x4 | 0x10)); // nsfeat: DULBE, optimization fields
        id.set(ValueLayout.JAVA_BYTE, 25, (byte) 7); // nlbaf: 8 formats, 0's based
        id.set(ValueLayout.JAVA_BYTE, 26, (byte) 0); // flbas: format 0
        id.set(ValueLayout.JAVA_BYTE, 27, (byte) 0x3); // mc: extended | separate
        id.set(ValueLayout.JAVA_BYTE, 28, (byte) 0x1f); // dpc
        id.set(ValueLayout.JAVA_BYTE, 33, (byte) 0x1); // dlfeat
        short npdg = (short) (DISCARD_GRANULARITY / LBA_SIZE - 1);
        id.set(ValueLayout.JAVA_SHORT_UNALIGNED, 68, npdg);
        id.set(ValueLayout.JAVA_SHORT_UNALIGNED, 70, npdg);
        int[][] lbaf = {{9, 0}, {9, 8}, {9, 16}, {9, 64}, {12, 0}, {12, 8}, {12, 16}, {12, 64}};
        for (int i = 0; i < lbaf.length; i++) {
            id.set(ValueLayout.JAVA_SHORT_UNALIGNED, 128 + 4L * i, (short) lbaf[i][1]); // ms
            id.set(ValueLayout.JAVA_BYTE, 128 + 4L * i + 2, (byte) lbaf[i][0]); // ds
        }
        return id.toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public void close() {
        try {
            if (file != null) {
                file.close();
            } else {
                arena.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing NVMe image " + what, e);
        }
    }

    @Override
    public String toString() {
        return "NVMe namespace 1 (" + blocks() + " blocks of 512 bytes, " + what + ")";
    }
}
