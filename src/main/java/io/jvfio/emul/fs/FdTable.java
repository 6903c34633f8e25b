package io.jvfio.emul.fs;

import io.jvfio.backend.Errno;
import java.util.ArrayList;
import java.util.List;

/** The process's fd table: lowest free number from 3 (0-2 are stdio), RLIMIT_NOFILE 1024. */
public final class FdTable {
    public static final int FIRST = 3;
    public static final int NOFILE = 1024;

    private final List<EmuFile> fds = new ArrayList<>();

    /** The file behind {@code fd}, or null. */
    public EmuFile get(int fd) {
        if (fd < FIRST || fd - FIRST >= fds.size()) {
            return null;
        }
        return fds.get(fd - FIRST);
    }

    /** The lowest free fd, or -EMFILE. Does not install anything. */
    public int reserve() {
        for (int i = 0; i < fds.size(); i++) {
            if (fds.get(i) == null) {
                return i + FIRST;
            }
        }
        int fd = fds.size() + FIRST;
        return fd >= NOFILE ? -Errno.EMFILE : fd;
    }

    /** {@code fd_install}. */
    public void install(int fd, EmuFile f) {
        int i = fd - FIRST;
        while (fds.size() <= i) {
            fds.add(null);
        }
        fds.set(i, f);
    }

    /** Removes {@code fd}; the caller puts the returned file. */
    public EmuFile remove(int fd) {
        EmuFile f = get(fd);
        if (f != null) {
            fds.set(fd - FIRST, null);
        }
        return f;
    }

    public int openCount() {
        int n = 0;
        for (EmuFile f : fds) {
            if (f != null) {
                n++;
            }
        }
        return n;
    }

    /** Every open fd, ascending. */
    public List<Integer> openFds() {
        List<Integer> r = new ArrayList<>();
        for (int i = 0; i < fds.size(); i++) {
            if (fds.get(i) != null) {
                r.add(i + FIRST);
            }
        }
        return r;
    }
}
