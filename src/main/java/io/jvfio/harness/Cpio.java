package io.jvfio.harness;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * A writer of "newc" cpio archives (SVR4, no CRC: magic 070701), the format the Linux kernel unpacks
 * as an initramfs. The kernel unpacks concatenated archives in order, later entries replacing earlier
 * ones, so a run's files go in a small archive appended to the base image.
 *
 * <p>Paths are relative ({@code jvfio/run}); missing parent directories are added (mode 0755) before
 * the first entry below them. Owners are root. {@link #close()} writes the trailer and pads the archive
 * to a multiple of 512 bytes, like cpio(1), so a following archive starts aligned.
 */
public final class Cpio implements AutoCloseable {
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    private static final String TRAILER = "TRAILER!!!";

    private final OutputStream out;
    private final Set<String> dirs = new HashSet<>();
    private long written;
    private int ino = 0x4a560000; // "JV": far from the numbers a base archive uses (only hard links care)
    private boolean closed;

    public Cpio(OutputStream out) {
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out, 1 << 16);
    }

    /** Bytes written so far. */
    public long size() {
        return written;
    }

    /** A directory entry (and its missing parents). Idempotent within this archive. */
    public Cpio directory(String path, int mode) throws IOException {
        String p = normalize(path);
        if (dirs.contains(p)) {
            return this;
        }
        parents(p);
        header(p, S_IFDIR | (mode & 07777), 2, 0, 0);
        dirs.add(p);
        return this;
    }

    /** A regular file with {@code data} as its content. */
    public Cpio file(String path, int mode, byte[] data) throws IOException {
        String p = normalize(path);
        parents(p);
        header(p, S_IFREG | (mode & 07777), 1, data.length, System.currentTimeMillis() / 1000);
        write(data, data.length);
        pad();
        return this;
    }

    /** A regular file with {@code source}'s content and modification time. */
    public Cpio file(String path, int mode, Path source) throws IOException {
        String p = normalize(path);
        long size = Files.size(source);
        if (size > 0xffff_ffffL) {
            throw new IOException(source + " is larger than newc's 4 GiB limit");
        }
        parents(p);
        header(p, S_IFREG | (mode & 07777), 1, size, Files.getLastModifiedTime(source).toMillis() / 1000);
        long copied = 0;
        try (InputStream in = Files.newInputStream(source)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while (copied < size && (n = in.read(buf, 0, (int) Math.min(buf.length, size - copied))) > 0) {
                write(buf, n);
                copied += n;
            }
        }
        if (copied != size) {
            throw new IOException(source + " changed size while archived (" + copied + " of " + size + ")");
        }
        pad();
        return this;
    }

    /** A symbolic link. */
    public Cpio symlink(String path, String target) throws IOException {
        String p = normalize(path);
        parents(p);
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        header(p, S_IFLNK | 0777, 1, t.length, 0);
        write(t, t.length);
        pad();
        return this;
    }

    /** Writes the trailer, pads to 512 bytes and flushes (the underlying stream stays open). Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        header(TRAILER, 0, 1, 0, 0);
        long rest = (512 - written % 512) % 512;
        write(new byte[(int) rest], (int) rest);
        out.flush();
    }

    private void parents(String p) throws IOException {
        int slash = p.lastIndexOf('/');
        if (slash > 0) {
            directory(p.substring(0, slash), 0755);
        }
    }

    private static String normalize(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException("empty cpio path: '" + path + "'");
        }
        for (String part : p.split("/")) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("cpio path must be plain relative: '" + path + "'");
            }
        }
        return p;
    }

    private void header(String name, int mode, int nlink, long fileSize, long mtime) throws IOException {
        if (closed && !name.equals(TRAILER)) {
            throw new IllegalStateException("archive closed");
        }
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(110).append("070701");
        for (long field : new long[] {name.equals(TRAILER) ? 0 : ino++, mode, 0, 0, nlink, mtime, fileSize, 0, 0, 0, 0,
                n.length + 1, 0}) {
            String hex = Long.toHexString(field).toUpperCase();
            h.append("0".repeat(8 - hex.length())).append(hex);
        }
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        write(hb, hb.length);
        write(n, n.length);
        write(new byte[1], 1);
        pad();
    }

    private void pad() throws IOException {
        int rest = (int) ((4 - written % 4) % 4);
        write(new byte[rest], rest);
    }

    private void write(byte[] b, int len) throws IOException {
        out.write(b, 0, len);
        written += len;
    }
}
