package io.jvfio.scenario;

import io.jvfio.abi.Arch;
import io.jvfio.backend.Errno;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import io.jvfio.backend.VfioBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * A recording backend for the runner's own mechanics (which fd each op uses, what the struct holds,
 * what is closed at the end). Not a model of the kernel: every ioctl on an open fd answers
 * {@link #answer} (default 0), on anything else EBADF.
 */
final class FakeBackend implements VfioBackend {
    /** One call: method, fd, and a copy of the struct argument (or null). */
    record Call(String method, int fd, byte[] struct, long arg) {}

    final List<Call> calls = new ArrayList<>();
    final Set<Integer> open = new LinkedHashSet<>();
    final Map<String, Integer> openErrno = new HashMap<>();
    final Set<String> existing = new LinkedHashSet<>(List.of("/dev/vfio/vfio", "/dev/vfio/0", "/dev/vfio/1"));
    final List<Long> mapped = new ArrayList<>();
    int unmapped;
    final List<Long> reserved = new ArrayList<>();
    int hugeErrno;
    ToLongFunction<Call> answer = c -> 0;
    private int nextFd = 3;

    private long call(String method, int fd, MemorySegment s, long arg) {
        Call c = new Call(method, fd, s == null ? null : s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), arg);
        calls.add(c);
        if (!open.contains(fd)) {
            return -Errno.EBADF;
        }
        return answer.applyAsLong(c);
    }

    List<Call> calls(String method) {
        return calls.stream().filter(c -> c.method().equals(method)).toList();
    }

    @Override public Arch arch() { return Arch.PPC64LE; }
    @Override public String description() { return "fake"; }
    @Override public boolean emulated() { return true; }
    @Override public long pageSize() { return 4096; }
    @Override public long hugePageSize() { return 2 << 20; }
    @Override public String kernelRelease() { return "6.12.95"; }
    @Override public List<String> groupDevices(int group) { return List.of(); }
    @Override public List<Integer> groups() { return List.of(); }
    @Override public io.jvfio.backend.NodeAccess nodeAccess(String path) {
        return new io.jvfio.backend.NodeAccess("tester", 1000, null);
    }
    @Override public io.jvfio.backend.LockedMemory lockedMemory() {
        return new io.jvfio.backend.LockedMemory(io.jvfio.backend.LockedMemory.UNLIMITED, 0, true);
    }

    @Override
    public int open(String path) {
        calls.add(new Call("open:" + path, -1, null, 0));
        if (openErrno.containsKey(path)) {
            return -openErrno.get(path);
        }
        if (!existing.contains(path)) {
            return -Errno.ENOENT;
        }
        int fd = nextFd++;
        open.add(fd);
        return fd;
    }

    @Override
    public int close(int fd) {
        calls.add(new Call("close", fd, null, 0));
        return open.remove(fd) ? 0 : -Errno.EBADF;
    }

    @Override public long getApiVersion(int fd) { return call("getApiVersion", fd, null, 0); }
    @Override public long checkExtension(int fd, long e) { return call("checkExtension", fd, null, e); }
    @Override public long setIommu(int fd, long t) { return call("setIommu", fd, null, t); }
    @Override public long groupGetStatus(int fd, MemorySegment s) { return call("groupGetStatus", fd, s, 0); }
    @Override public long groupSetContainer(int g, int c) { return call("groupSetContainer", g, null, c); }
    @Override public long groupUnsetContainer(int fd) { return call("groupUnsetContainer", fd, null, 0); }

    @Override
    public long groupGetDeviceFd(int fd, String name) {
        long r = call("groupGetDeviceFd:" + name, fd, null, 0);
        if (r != 0) {
            return r;
        }
        int d = nextFd++;
        open.add(d);
        return d;
    }

    @Override public long deviceGetInfo(int fd, MemorySegment s) { return call("deviceGetInfo", fd, s, 0); }
    @Override public long deviceGetRegionInfo(int fd, MemorySegment s) { return call("deviceGetRegionInfo", fd, s, 0); }
    @Override public long deviceGetIrqInfo(int fd, MemorySegment s) { return call("deviceGetIrqInfo", fd, s, 0); }
    @Override public long deviceSetIrqs(int fd, MemorySegment s) { return call("deviceSetIrqs", fd, s, 0); }
    @Override public long deviceReset(int fd) { return call("deviceReset", fd, null, 0); }
    @Override public long spaprTceGetInfo(int fd, MemorySegment s) { return call("spaprTceGetInfo", fd, s, 0); }
    @Override public long iommuEnable(int fd) { return call("iommuEnable", fd, null, 0); }
    @Override public long iommuDisable(int fd) { return call("iommuDisable", fd, null, 0); }
    @Override public long iommuMapDma(int fd, MemorySegment s) { return call("iommuMapDma", fd, s, 0); }
    @Override public long iommuUnmapDma(int fd, MemorySegment s) { return call("iommuUnmapDma", fd, s, 0); }
    @Override public long spaprRegisterMemory(int fd, MemorySegment s) { return call("spaprRegisterMemory", fd, s, 0); }
    @Override public long spaprUnregisterMemory(int fd, MemorySegment s) { return call("spaprUnregisterMemory", fd, s, 0); }
    @Override public long spaprTceCreate(int fd, MemorySegment s) { return call("spaprTceCreate", fd, s, 0); }
    @Override public long spaprTceRemove(int fd, MemorySegment s) { return call("spaprTceRemove", fd, s, 0); }
    @Override public long eehPeOp(int fd, MemorySegment s) { return call("eehPeOp", fd, s, 0); }
    @Override public long ioctl(int fd, int request, MemorySegment arg) { return call("ioctl", fd, arg, request); }
    @Override public long pread(int fd, MemorySegment dst, long offset) { return -Errno.EINVAL; }
    @Override public long pwrite(int fd, MemorySegment src, long offset) { return -Errno.EINVAL; }
    @Override public long read(int fd, MemorySegment dst) { return -Errno.EINVAL; }
    @Override public long write(int fd, MemorySegment src) { return -Errno.EINVAL; }
    @Override public int eventfd(int initval, int flags) { return -Errno.ENOSYS; }
    @Override public int poll(MemorySegment fds, int nfds, int timeoutMs) { return -Errno.ENOSYS; }

    @Override
    public Mmio mmapRegion(int deviceFd, long offset, long length) throws ErrnoException {
        throw new ErrnoException("mmap", Errno.ENODEV);
    }

    @Override
    public MemorySegment mmapAnonymous(long size, boolean hugetlb, Arena owner) throws ErrnoException {
        if (hugetlb && hugeErrno != 0) {
            throw new ErrnoException("mmap", hugeErrno);
        }
        MemorySegment s = owner.allocate(size, 4096);
        mapped.add(s.address());
        // Count unmaps: the arena's close is the munmap.
        MemorySegment.ofAddress(s.address()).reinterpret(1, owner, x -> unmapped++);
        return s;
    }

    @Override
    public void unmapKeepingRange(MemorySegment anonymous) {
        reserved.add(anonymous.address());
    }

    @Override
    public void close() {}
}
