package io.jvfio.emul.mem;

/** A mapping of the emulated process: [start, start+length), its page size, and its memory. */
public final class Vma {
    final long start;
    final long length;
    final PhysBlock block;

    Vma(long start, long length, PhysBlock block) {
        this.start = start;
        this.length = length;
        this.block = block;
    }

    public long start() {
        return start;
    }

    public long length() {
        return length;
    }

    public long end() {
        return start + length;
    }

    public int pageShift() {
        return block.pageShift;
    }

    public boolean hugetlb() {
        return block.hugetlb;
    }

    public PhysBlock block() {
        return block;
    }

    public boolean contains(long a) {
        return a - start >= 0 && a - start < length;
    }
}
