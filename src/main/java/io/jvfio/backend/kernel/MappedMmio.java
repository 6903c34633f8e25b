package io.jvfio.backend.kernel;

import io.jvfio.backend.Mmio;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A BAR mapped with mmap. Accesses are volatile so the JIT neither merges nor hoists them (a status
 * poll in a loop must reach the device every time). The segment belongs to a shared arena whose
 * cleanup is munmap: close from any thread; access after close throws instead of faulting.
 */
final class MappedMmio implements Mmio {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Arena arena = Arena.ofShared();
    private final MemorySegment bar;

    MappedMmio(long addr, long length) {
        this.bar = MemorySegment.ofAddress(addr).reinterpret(length, arena, s -> KernelBackend.unmap(addr, length));
    }

    @Override
    public long size() {
        return bar.byteSize();
    }

    @Override
    public int read32(long offset) {
        return (int) INT.getVolatile(bar, offset);
    }

    @Override
    public void write32(long offset, int value) {
        INT.setVolatile(bar, offset, value);
    }

    @Override
    public long read64(long offset) {
        return (long) LONG.getVolatile(bar, offset);
    }

    @Override
    public void write64(long offset, long value) {
        LONG.setVolatile(bar, offset, value);
    }

    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
