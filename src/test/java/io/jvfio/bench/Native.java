package io.jvfio.bench;

import io.jvfio.abi.Arch;
import io.jvfio.abi.IoctlCodec;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * What the benchmarks bind: libc's ioctl, the no-ops of {@code libjvfionoop.so} (built by
 * {@code make native-bench}), FIONREAD for the host, and the non-jvfio bindings they are compared with.
 */
final class Native {
    private Native() {}

    /** FIONREAD: 0x541B on x86-64 and aarch64, _IOR('f', 127, int) on powerpc. */
    static final long FIONREAD = Arch.host() == Arch.PPC64LE ? Integer.toUnsignedLong(IoctlCodec.ior(Arch.PPC64LE, 'f', 127, 4))
            : 0x541BL;

    static final Linker LINKER = Linker.nativeLinker();
    static final FunctionDescriptor IOCTL_SHAPE =
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
    static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    /**
     * {@code libjvfionoop.so}: the system property {@code jvfio.noop.lib}, else under
     * {@code jvfio.abi.dir} (surefire sets it to target/native), else target/native.
     */
    static Path noopLibrary() {
        String lib = System.getProperty("jvfio.noop.lib");
        if (lib != null && !lib.isEmpty()) {
            return Path.of(lib).toAbsolutePath();
        }
        return Path.of(System.getProperty("jvfio.abi.dir", "target/native")).resolve("libjvfionoop.so").toAbsolutePath();
    }

    static boolean noopLibraryPresent() {
        return Files.isRegularFile(noopLibrary());
    }

    private static SymbolLookup noopLookup;

    static synchronized MemorySegment noopSymbol(String name) {
        if (noopLookup == null) {
            Path lib = noopLibrary();
            if (!Files.isRegularFile(lib)) {
                throw new IllegalStateException(lib + " is missing: run `make native-bench`");
            }
            noopLookup = SymbolLookup.libraryLookup(lib, Arena.global());
        }
        return noopLookup.find(name).orElseThrow(() -> new IllegalStateException(name + " not in " + noopLibrary()));
    }

    static MemorySegment libcSymbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow();
    }

    /** A downcall of ioctl's shape, variadic from the third argument like libc's ioctl, with extra options. */
    static MethodHandle bind(MemorySegment fn, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.firstVariadicArg(2);
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(fn, IOCTL_SHAPE, all);
    }

    // ---- JNR (jnr-ffi, as jnr-posix 3.2.5 brings it): benchmark scope only -------------------------

    /** One interface for every ioctl-shaped function: the loader maps {@code call} to the symbol. */
    public interface JnrIoctlShaped {
        @SaveError
        int call(int fd, long request, Pointer arg);
    }

    static JnrIoctlShaped jnrLibc(String symbol) {
        return LibraryLoader.create(JnrIoctlShaped.class).map("call", symbol)
                .load(Platform.getNativePlatform().getStandardCLibraryName());
    }

    static JnrIoctlShaped jnrNoop(String symbol) {
        Path lib = noopLibrary();
        return LibraryLoader.create(JnrIoctlShaped.class).map("call", symbol).search(lib.getParent().toString())
                .load("jvfionoop");
    }

    /** The same native memory as {@code seg}, as a JNR pointer (direct: nothing is copied per call). */
    static Pointer jnrPointer(Object library, MemorySegment seg) {
        return Pointer.wrap(jnr.ffi.Runtime.getRuntime(library), seg.address(), seg.byteSize());
    }

    /** JNR's result-or-errno, the shape of jvfio's: {@code -errno} when the call returned -1. */
    static int jnrResult(Object library, int r) {
        return r == -1 ? -jnr.ffi.Runtime.getRuntime(library).getLastError() : r;
    }
}
