import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * CDS training workload (run by build.sh under qemu-user with -XX:DumpLoadedClassList): touches the
 * FFM paths a VFIO program uses (downcalls with errno capture, variadic ioctl, structs, arenas,
 * mmap), so their classes and lambda forms land in the guest runtime's default CDS archive.
 * Needs no device: every call is made on an invalid fd.
 */
public final class FfmTraining {
    public static void main(String[] args) throws Throwable {
        Logger.getLogger("jvfio.training").fine("start");
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        StructLayout ccs = Linker.Option.captureStateLayout();
        VarHandle errno = ccs.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        Linker.Option capture = Linker.Option.captureCallState("errno");
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), capture);
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), capture);
        MethodHandle ioctlLong = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(2), capture);
        MethodHandle ioctlPtr = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                Linker.Option.firstVariadicArg(2), capture);
        MethodHandle mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), capture);
        MethodHandle munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), capture);
        MethodHandle strerror = linker.downcallHandle(libc.find("strerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        StructLayout info = MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("argsz"), ValueLayout.JAVA_INT.withName("flags"),
                ValueLayout.JAVA_LONG.withName("start"), ValueLayout.JAVA_LONG.withName("size"),
                MemoryLayout.sequenceLayout(2, ValueLayout.JAVA_SHORT).withName("pad"),
                MemoryLayout.paddingLayout(4));
        VarHandle argsz = info.varHandle(MemoryLayout.PathElement.groupElement("argsz"));
        VarHandle start = info.varHandle(MemoryLayout.PathElement.groupElement("start"));
        long sum = 0;
        for (int round = 0; round < 3; round++) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment st = arena.allocate(ccs);
                SegmentAllocator alloc = arena;
                MemorySegment s = alloc.allocate(info);
                argsz.set(s, 0L, (int) info.byteSize());
                start.set(s, 0L, 0x0800000000000000L);
                int fd = (int) open.invokeExact(st, arena.allocateFrom("/nonexistent/jvfio"), 2);
                sum += fd + (int) errno.get(st, 0L);
                sum += (int) ioctlLong.invokeExact(st, -1, 0x20003B64L, 0L);
                sum += (int) ioctlPtr.invokeExact(st, -1, 0x40203B70L, s);
                sum += (int) close.invokeExact(st, -1);
                MemorySegment m = (MemorySegment) mmap.invokeExact(st, MemorySegment.NULL, 65536L, 3, 0x22, -1, 0L);
                MemorySegment buf = m.reinterpret(65536L);
                buf.fill((byte) 0x5a);
                buf.set(ValueLayout.JAVA_LONG, 8, 42L);
                MemorySegment.copy(buf, 0, s, 0, 8);
                sum += buf.asSlice(4096, 4096).get(ValueLayout.JAVA_BYTE, 0) + buf.address() % 7;
                sum += (int) munmap.invokeExact(st, m, 65536L);
                MemorySegment msg = (MemorySegment) strerror.invokeExact(22);
                sum += msg.reinterpret(256).getString(0).length();
                sum += HexFormat.of().formatHex(s.toArray(ValueLayout.JAVA_BYTE)).length();
            }
            try (Arena shared = Arena.ofShared()) {
                sum += shared.allocate(ValueLayout.JAVA_LONG, 4).byteSize();
            }
            sum += Arena.ofAuto().allocate(64, 64).byteSize();
        }
        System.out.println(String.format("ffm training done (%d)", sum));
    }
}
