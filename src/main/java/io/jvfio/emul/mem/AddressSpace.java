package io.jvfio.emul.mem;

import io.jvfio.backend.Errno;
import io.jvfio.emul.Credentials;
import io.jvfio.emul.Profile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The emulated process's address space ({@code mm_struct}): the mappings made with
 * {@code mmapAnonymous}, page pinning, and {@code locked_vm} accounting.
 *
 * <p>Only memory from {@code mmapAnonymous} is process memory: any other address (a Java heap
 * array, a segment from the caller's own arena) is outside every mapping and fails like an
 * unmapped address does in the kernel (EFAULT from the pin). Mappings are real memory from a
 * shared arena, aligned to their page size (the huge page size for hugetlb, whether or not the
 * host has huge pages). munmap removes the mapping at once, but its memory lives on while pinned,
 * as the kernel keeps pinned pages after munmap.
 *
 * <p>Not thread-safe: callers hold the platform lock.
 */
public final class AddressSpace {
    private final long pageSize;
    private final int pageShift;
    private final long hugePageSize;
    private final long memlockLimitBytes;
    private final boolean capIpcLock;
    private final long guestRamBytes;
    private int hugePagesFree;

    private final TreeMap<Long, Vma> vmas = new TreeMap<>();
    /** Unmapped ranges kept out of later mmaps (start to end), as a PROT_NONE mapping keeps them in the kernel. */
    private final TreeMap<Long, Long> reserved = new TreeMap<>();
    private final TreeMap<Long, PhysBlock> blocks = new TreeMap<>();
    private PhysBlock lastBlock;
    private Vma lastVma;
    private long lockedVmPages;

    public AddressSpace(Profile p) {
        this.pageSize = p.kernelPageSize();
        this.pageShift = Long.numberOfTrailingZeros(pageSize);
        this.hugePageSize = p.hugePageSize();
        this.memlockLimitBytes = p.memlockLimitBytes();
        this.capIpcLock = p.credentials().capable(Credentials.Capability.CAP_IPC_LOCK);
        this.guestRamBytes = p.guestRamBytes();
        this.hugePagesFree = p.hugePages();
    }

    public long pageSize() {
        return pageSize;
    }

    public int pageShift() {
        return pageShift;
    }

    public long hugePageSize() {
        return hugePageSize;
    }

    /** The result of {@link #mmap}: a mapping, or an errno. */
    public record MmapResult(Vma vma, int errno) {}

    /**
     * mmap(NULL, length, RW, MAP_PRIVATE|MAP_ANONYMOUS[|MAP_HUGETLB]): ENOMEM when the huge page pool
     * is exhausted or the length exceeds guest RAM, EINVAL for length 0.
     */
    public MmapResult mmap(long length, boolean hugetlb) {
        if (length <= 0) {
            return new MmapResult(null, Errno.EINVAL);
        }
        long unit = hugetlb ? hugePageSize : pageSize;
        long rounded = (length + unit - 1) & -unit;
        if (rounded <= 0 || rounded > guestRamBytes) {
            return new MmapResult(null, Errno.ENOMEM);
        }
        int huge = 0;
        if (hugetlb) {
            long n = rounded / hugePageSize;
            if (n > hugePagesFree) {
                return new MmapResult(null, Errno.ENOMEM);
            }
            huge = (int) n;
        }
        // Host memory is the process memory; an allocation that lands on a reserved range is held
        // aside (so the host allocator cannot return it again) and given back once one does not.
        List<Arena> rejects = new ArrayList<>();
        Arena arena;
        MemorySegment mem;
        try {
            while (true) {
                arena = Arena.ofShared();
                try {
                    mem = arena.allocate(rounded, unit);
                } catch (OutOfMemoryError | IllegalArgumentException e) {
                    arena.close();
                    return new MmapResult(null, Errno.ENOMEM);
                }
                if (!overlapsReserved(mem.address(), rounded)) {
                    break;
                }
                rejects.add(arena);
            }
        } finally {
            rejects.forEach(Arena::close);
        }
        hugePagesFree -= huge;
        PhysBlock b = new PhysBlock(arena, mem, Long.numberOfTrailingZeros(unit), hugetlb);
        Vma v = new Vma(mem.address(), rounded, b);
        vmas.put(v.start, v);
        blocks.put(b.addr, b);
        return new MmapResult(v, 0);
    }

    /**
     * Removes mapping {@code v} (by identity: a later mapping at the same address is left alone); its
     * memory goes when no pin holds it. -EINVAL when {@code v} is no longer mapped.
     */
    public int munmap(Vma v) {
        if (!vmas.remove(v.start, v)) {
            return -Errno.EINVAL;
        }
        if (lastVma == v) {
            lastVma = null;
        }
        release(v.block);
        return 0;
    }

    /**
     * munmap of {@code v} that keeps its range out of later mmaps until {@link #unreserve}: accesses
     * fail as unmapped (EFAULT from a pin), and the memory goes when no pin holds it.
     */
    public int reserve(Vma v) {
        int r = munmap(v);
        if (r == 0) {
            reserved.put(v.start, v.end());
        }
        return r;
    }

    /** Ends the reservation made by {@link #reserve} at {@code start}. */
    public void unreserve(long start) {
        reserved.remove(start);
    }

    private boolean overlapsReserved(long start, long length) {
        Map.Entry<Long, Long> below = reserved.lowerEntry(start + length);
        return below != null && below.getValue() > start;
    }

    /** The mapping containing {@code addr}, or null. */
    public Vma findVma(long addr) {
        Vma v = lastVma;
        if (v != null && v.contains(addr)) {
            return v;
        }
        Map.Entry<Long, Vma> e = vmas.floorEntry(addr);
        if (e == null || !e.getValue().contains(addr)) {
            return null;
        }
        lastVma = e.getValue();
        return lastVma;
    }

    /** The mappings in address order. */
    public List<Vma> vmas() {
        return new ArrayList<>(vmas.values());
    }

    /** Pins the page at {@code addr} ({@code pin_user_pages}): its block, or null (EFAULT) outside every mapping. */
    public PhysBlock pin(long addr) {
        Vma v = findVma(addr);
        if (v == null) {
            return null;
        }
        v.block.refs++;
        return v.block;
    }

    /** Takes one more reference on a block (a pin of an already known block). */
    public void pin(PhysBlock b) {
        b.refs++;
    }

    /** Drops a pin. */
    public void unpin(PhysBlock b) {
        release(b);
    }

    /** Drops a pin on the block holding physical address {@code hpa}; false if no live block holds it. */
    public boolean unpinPhys(long hpa) {
        PhysBlock b = physBlock(hpa);
        if (b == null) {
            return false;
        }
        release(b);
        return true;
    }

    private void release(PhysBlock b) {
        if (--b.refs == 0) {
            blocks.remove(b.addr);
            if (lastBlock == b) {
                lastBlock = null;
            }
            if (b.hugetlb) {
                hugePagesFree += (int) (b.size / hugePageSize);
            }
            b.free();
        }
    }

    /** The live block holding physical address {@code hpa}, or null. */
    public PhysBlock physBlock(long hpa) {
        PhysBlock b = lastBlock;
        if (b != null && b.contains(hpa)) {
            return b;
        }
        Map.Entry<Long, PhysBlock> e = blocks.floorEntry(hpa);
        if (e == null || !e.getValue().contains(hpa)) {
            return null;
        }
        lastBlock = e.getValue();
        return lastBlock;
    }

    /**
     * Real memory for a device access: {@code len} bytes at physical address {@code hpa}, or null when
     * they are not all inside one live block (the access then fails like one to unassigned memory).
     */
    public MemorySegment phys(long hpa, long len) {
        PhysBlock b = physBlock(hpa);
        if (b == null || hpa - b.addr + len > b.size) {
            return null;
        }
        return b.memory.asSlice(hpa - b.addr, len);
    }

    public int hugePagesFree() {
        return hugePagesFree;
    }

    public long liveBlocks() {
        return blocks.size();
    }

    // ---- locked_vm ---------------------------------------------------------------------------------

    /**
     * {@code account_locked_vm(mm, pages, inc)} (mm/util.c): 0, or -ENOMEM when an increment would
     * take {@code locked_vm} above {@code RLIMIT_MEMLOCK >> PAGE_SHIFT}; with CAP_IPC_LOCK the limit
     * is not checked ({@code bypass_rlim}), but the pages are still counted.
     */
    public int accountLockedVm(long pages, boolean inc) {
        if (pages == 0) {
            return 0;
        }
        if (inc) {
            long locked = lockedVmPages + pages;
            if (!capIpcLock && locked > (memlockLimitBytes >>> pageShift)) {
                return -Errno.ENOMEM;
            }
            lockedVmPages = locked;
        } else {
            // the kernel WARNs and clamps at 0 on underflow
            lockedVmPages = Math.max(0, lockedVmPages - pages);
        }
        return 0;
    }

    /** The process's {@code RLIMIT_MEMLOCK} in bytes ({@link Profile#UNLIMITED} for RLIM_INFINITY). */
    public long memlockLimitBytes() {
        return memlockLimitBytes;
    }

    public long lockedVmPages() {
        return lockedVmPages;
    }

    /** Unmaps nothing but forgets all pins: used when the platform shuts down (process exit). */
    public void dropAllPinsExceptMappings() {
        for (PhysBlock b : new ArrayList<>(blocks.values())) {
            boolean mapped = false;
            for (Vma v : vmas.values()) {
                if (v.block == b) {
                    mapped = true;
                    break;
                }
            }
            long keep = mapped ? 1 : 0;
            if (b.refs > keep) {
                b.refs = keep + 1;
                release(b);
            }
        }
        lockedVmPages = 0;
    }
}
