package io.jvfio.emul.mem;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Real memory backing one mapping: "guest physical" memory of the emulated platform. Its address is
 * the address of the mapping (the emulator maps process memory 1:1), so a TCE holds a real address.
 * Reference counted: the mapping holds one reference, every pin (a v1 TCE, a pre-registered region)
 * one more; the memory is freed only when the last one goes, so a device can never reach freed
 * memory and the JVM can never fault on it.
 */
public final class PhysBlock {
    final long addr;
    final long size;
    final int pageShift;
    final boolean hugetlb;
    final MemorySegment memory;
    private final Arena arena;
    long refs = 1;
    boolean freed;

    PhysBlock(Arena arena, MemorySegment memory, int pageShift, boolean hugetlb) {
        this.arena = arena;
        this.memory = memory;
        this.addr = memory.address();
        this.size = memory.byteSize();
        this.pageShift = pageShift;
        this.hugetlb = hugetlb;
    }

    public long address() {
        return addr;
    }

    public long size() {
        return size;
    }

    /** log2 of the page size backing this block (12 for normal pages, 21 for 2 MiB hugetlb). */
    public int pageShift() {
        return pageShift;
    }

    public boolean hugetlb() {
        return hugetlb;
    }

    public long refs() {
        return refs;
    }

    public boolean contains(long a) {
        return a - addr >= 0 && a - addr < size;
    }

    void free() {
        freed = true;
        arena.close();
    }
}
