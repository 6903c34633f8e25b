import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Guest self-test: opens /dev/vfio/vfio and issues VFIO_GET_API_VERSION through a variadic
 * ioctl downcall with errno capture. On powerpc _IO(';', 100) is 0x20003B64 (_IOC_NONE = 1 << 29).
 */
public final class VfioApiVersion {
    static final long VFIO_GET_API_VERSION = 0x20003B64L;
    static final long VFIO_CHECK_EXTENSION = 0x20003B65L;
    static final int O_RDWR = 2;

    public static void main(String[] args) throws Throwable {
        long t0 = System.nanoTime();
        String uptime = "?";
        try {
            uptime = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: no uptime
        }
        System.out.println("VfioApiVersion main() entered, uptime " + uptime + " s");
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        StructLayout ccs = Linker.Option.captureStateLayout();
        VarHandle errnoHandle = ccs.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                Linker.Option.captureCallState("errno"));
        // int ioctl(int fd, unsigned long request, ...): one variadic argument (unused here: 0)
        MethodHandle ioctl = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(ccs);
            int fd = (int) open.invokeExact(state, arena.allocateFrom("/dev/vfio/vfio"), O_RDWR);
            if (fd < 0) {
                System.out.println("open /dev/vfio/vfio FAILED errno=" + (int) errnoHandle.get(state, 0L));
                System.exit(1);
            }
            int version = (int) ioctl.invokeExact(state, fd, VFIO_GET_API_VERSION, 0L);
            int err = version < 0 ? (int) errnoHandle.get(state, 0L) : 0;
            System.out.println("VFIO_GET_API_VERSION -> " + version + (version < 0 ? " errno=" + err : ""));
            int spaprV2 = (int) ioctl.invokeExact(state, fd, VFIO_CHECK_EXTENSION, 7L);
            System.out.println("VFIO_CHECK_EXTENSION(7 SPAPR_TCE_v2) -> " + spaprV2);
            System.out.printf("main() to here: %.2f s (os.arch=%s, java %s)%n",
                    (System.nanoTime() - t0) / 1e9, System.getProperty("os.arch"), Runtime.version());
            System.exit(version == 0 && spaprV2 == 1 ? 0 : 1);
        }
    }
}
