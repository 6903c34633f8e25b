package io.jvfio.emul;

import io.jvfio.backend.Errno;
import io.jvfio.emul.fs.EmuFile;
import io.jvfio.emul.fs.EventFdFile;
import io.jvfio.emul.vfio.DeviceFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code read}/{@code write}/{@code pread}/{@code pwrite} on the emulated process's files
 * (fs/read_write.c, Linux 6.12), by file kind: a vfio device fd's regions (with the file position
 * for read/write), an eventfd's counter (fs/eventfd.c), EINVAL for container and group files.
 */
final class EmulatorReadWrite {
    private EmulatorReadWrite() {}

    /** read, write, pread and pwrite: bytes transferred or -errno; eventfd reads block outside the platform lock. */
    static long rw(EmulatorPlatform platform, int fd, MemorySegment buf, long offset, boolean write, boolean positional) {
        EventFdFile efd;
        platform.enter();
        try {
            EmuFile f = platform.fds.get(fd);
            if (f == null) {
                return -Errno.EBADF;
            }
            if (f instanceof DeviceFile df) {
                long pos = positional ? offset : df.position();
                if (pos < 0) {
                    return -Errno.EINVAL;
                }
                long n = df.device().rw(buf, pos, write);
                if (!positional && n > 0) {
                    df.position(pos + n);
                }
                return n;
            }
            if (!(f instanceof EventFdFile e)) {
                return -Errno.EINVAL; // container and group files have no read/write
            }
            if (positional) {
                return -Errno.ESPIPE;
            }
            efd = e;
            if (write) {
                return eventfdWrite(platform, e, buf);
            }
        } finally {
            if (platform.lock.isHeldByCurrentThread()) {
                platform.lock.unlock();
            }
        }
        return efd.read(buf); // may block: outside the platform lock
    }

    /** Called with the lock held; may release and retake it while a blocking write waits for room. */
    private static long eventfdWrite(EmulatorPlatform platform, EventFdFile e, MemorySegment src) {
        if (src.byteSize() < 8) {
            return -Errno.EINVAL;
        }
        long v = src.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        while (true) {
            long r = e.tryWrite(v);
            if (r != EventFdFile.WOULD_BLOCK) {
                if (r == 8) {
                    for (Runnable l : e.writeListeners()) {
                        l.run(); // virqfd: INTx unmask, ioeventfd
                    }
                }
                return r;
            }
            platform.lock.unlock();
            long w = e.awaitRoom(v);
            platform.lock.lock();
            if (w < 0) {
                return w;
            }
        }
    }
}
