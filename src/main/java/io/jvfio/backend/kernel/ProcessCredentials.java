package io.jvfio.backend.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.jvfio.abi.__user_cap_data_struct;
import io.jvfio.abi.__user_cap_header_struct;
import io.jvfio.abi.rlimit;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's locked-memory limit and the calling thread's credentials, through libc:
 * {@code getrlimit}/{@code setrlimit(RLIMIT_MEMLOCK)}, {@code capget}/{@code capset} and
 * {@code setfsuid}/{@code setfsgid}. The limit is per process; the credentials the kernel checks at
 * open (fsuid, fsgid, CAP_DAC_OVERRIDE) and in {@code account_locked_vm} (CAP_IPC_LOCK) are the
 * calling thread's, and these calls change only that thread's, so a run can drop them around its own
 * system calls and take them back ({@link #dropThread}). Methods return {@code -errno} on failure.
 */
public final class ProcessCredentials {
    private ProcessCredentials() {}

    /** {@code RLIMIT_MEMLOCK} (8 on every architecture jvfio runs on). */
    public static final int RLIMIT_MEMLOCK = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle GETRLIMIT = bind("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETRLIMIT = bind("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle CAPGET = bind("capget", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CAPSET = bind("capset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETFSUID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setfsuid").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SETFSGID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("setfsgid").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static MethodHandle bind(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, ERRNO);
    }

    private static int call(MethodHandle h, Object... args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment capture = a.allocate(Linker.Option.captureStateLayout());
            Object[] full = new Object[args.length + 1];
            full[0] = capture;
            System.arraycopy(args, 0, full, 1, args.length);
            int r = (int) h.invokeWithArguments(full);
            return r == -1 ? -(int) Linker.Option.captureStateLayout()
                    .varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")).get(capture, 0L) : r;
        } catch (Throwable t) {
            throw new IllegalStateException("libc call failed: " + t, t);
        }
    }

    /** The soft (index 0) and hard (1) RLIMIT_MEMLOCK in bytes, {@code Long.MAX_VALUE} for RLIM_INFINITY. */
    public static long[] memlockLimits() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(rlimit.LAYOUT);
            int ret = call(GETRLIMIT, RLIMIT_MEMLOCK, r);
            if (ret < 0) {
                throw new IllegalStateException("getrlimit(RLIMIT_MEMLOCK) failed: errno " + -ret);
            }
            return new long[] {fromRlim(rlimit.rlim_cur.get(r)), fromRlim(rlimit.rlim_max.get(r))};
        }
    }

    /**
     * Sets the soft and hard RLIMIT_MEMLOCK ({@code Long.MAX_VALUE} for RLIM_INFINITY): 0, -EINVAL for
     * soft above hard, -EPERM for raising the hard limit without CAP_SYS_RESOURCE.
     */
    public static int setMemlockLimits(long soft, long hard) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(rlimit.LAYOUT);
            rlimit.rlim_cur.set(r, soft == Long.MAX_VALUE ? rlimit.RLIM_INFINITY : soft);
            rlimit.rlim_max.set(r, hard == Long.MAX_VALUE ? rlimit.RLIM_INFINITY : hard);
            return call(SETRLIMIT, RLIMIT_MEMLOCK, r);
        }
    }

    private static long fromRlim(long v) {
        return v == rlimit.RLIM_INFINITY ? Long.MAX_VALUE : v;
    }

    /** The process's {@code locked_vm} in bytes ({@code VmLck} in /proc/self/status), or -1 if unreadable. */
    public static long lockedBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmLck:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown: the caller says so
        }
        return -1;
    }

    /** The calling thread's effective capability set (bit n = capability n), or -errno. */
    public static long effectiveCapabilities() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment hdr = header(a);
            MemorySegment data = a.allocate(__user_cap_data_struct.LAYOUT, 2);
            int r = call(CAPGET, hdr, data);
            return r < 0 ? r : word(data, 0, __user_cap_data_struct.effective) | word(data, 1, __user_cap_data_struct.effective) << 32;
        }
    }

    /** Whether the calling thread has {@code cap} in its effective set. */
    public static boolean threadCapable(int cap) {
        long caps = effectiveCapabilities();
        return caps >= 0 && (caps & (1L << cap)) != 0;
    }

    /**
     * Drops the calling thread to fsuid {@code uid}, fsgid {@code gid} and the effective capabilities in
     * {@code keep} (a bit mask; permitted stays, so the drop can be undone). Close the result to take the
     * credentials back, on the same thread.
     *
     * @throws IllegalStateException if capset refuses
     */
    public static Dropped dropThread(int uid, int gid, long keep) {
        long saved = effectiveCapabilities();
        if (saved < 0) {
            throw new IllegalStateException("capget failed: errno " + -saved);
        }
        int oldGid = setfs(SETFSGID, gid);
        int oldUid = setfs(SETFSUID, uid); // a non-zero fsuid also clears the file capabilities
        int r = setEffective(effectiveCapabilities() & keep);
        if (r < 0) {
            setfs(SETFSUID, oldUid);
            setfs(SETFSGID, oldGid);
            throw new IllegalStateException("capset failed: errno " + -r);
        }
        return new Dropped(Thread.currentThread(), oldUid, oldGid, saved);
    }

    /** A thread's dropped credentials; {@link #close} restores them. */
    public record Dropped(Thread thread, int fsuid, int fsgid, long effective) implements AutoCloseable {
        @Override
        public void close() {
            if (Thread.currentThread() != thread) {
                throw new IllegalStateException("credentials are per thread: restore them on " + thread.getName());
            }
            setfs(SETFSUID, fsuid);
            setfs(SETFSGID, fsgid);
            int r = setEffective(effective);
            if (r < 0) {
                throw new IllegalStateException("capset could not restore the capabilities: errno " + -r);
            }
        }
    }

    private static int setfs(MethodHandle h, int id) {
        try {
            return (int) h.invokeExact(id);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int setEffective(long effective) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment hdr = header(a);
            MemorySegment data = a.allocate(__user_cap_data_struct.LAYOUT, 2);
            int r = call(CAPGET, hdr, data);
            if (r < 0) {
                return r;
            }
            __user_cap_data_struct.effective.set(data, (int) effective);
            __user_cap_data_struct.effective.set(data.asSlice(__user_cap_data_struct.SIZE), (int) (effective >>> 32));
            return call(CAPSET, hdr, data);
        }
    }

    private static MemorySegment header(Arena a) {
        MemorySegment hdr = a.allocate(__user_cap_header_struct.LAYOUT);
        __user_cap_header_struct.version.set(hdr, __user_cap_header_struct._LINUX_CAPABILITY_VERSION_3);
        __user_cap_header_struct.pid.set(hdr, 0); // the calling thread
        return hdr;
    }

    private static long word(MemorySegment data, int i, io.jvfio.abi.U32 f) {
        return f.getUnsigned(data.asSlice(i * __user_cap_data_struct.SIZE));
    }
}
