package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.VfioException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the IOVA allocator over random windows and random alloc/free sequences: ranges never
 * overlap, stay inside the window, are aligned to the TCE page; free space is coalesced; freeing
 * everything (or freeing what was just allocated) restores the capacity exactly; best fit picks the
 * smallest free block that fits; every free unmaps exactly the freed range.
 */
class IovaAllocatorProperties {

    /** A window: page shift, page count, start (0, 2 GiB, or QEMU's 1<<59). */
    record Window(int shift, long pages, long start) {
        long pageSize() {
            return 1L << shift;
        }

        long size() {
            return pages << shift;
        }
    }

    /** alloc {@code pages} pages (aligned to 2^alignPow pages), or free the allocated range at index {@code pick % n}. */
    record Op(boolean alloc, int pages, int alignPow, int pick) {}

    @Provide
    Arbitrary<Window> windows() {
        return Combinators.combine(Arbitraries.of(12, 16, 21, 24), Arbitraries.longs().between(1, 4096),
                Arbitraries.of(0L, 1L << 31, 1L << 59)).as(Window::new);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 99), Arbitraries.integers().between(1, 300),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 1000))
                .as((kind, pages, align, pick) -> new Op(kind < 60, pages, kind % 5 == 0 ? align : 0, pick));
        return op.list().ofMinSize(1).ofMaxSize(200);
    }

    private static void checkInvariants(IovaAllocator a, Window w) {
        List<IovaRange> used = a.allocatedRanges();
        List<IovaRange> free = a.freeRanges();
        long usedBytes = 0;
        for (int i = 0; i < used.size(); i++) {
            IovaRange r = used.get(i);
            assertTrue(r.start() >= w.start() && r.end() <= w.start() + w.size(), () -> r + " leaves the window");
            assertEquals(0, r.start() % w.pageSize(), () -> r + " start not page-aligned");
            assertEquals(0, r.size() % w.pageSize(), () -> r + " size not whole pages");
            if (i > 0) {
                IovaRange prev = used.get(i - 1);
                assertFalse(prev.overlaps(r), () -> prev + " overlaps " + r);
            }
            usedBytes += r.size();
        }
        long freeBytes = 0;
        for (int i = 0; i < free.size(); i++) {
            IovaRange f = free.get(i);
            assertTrue(f.start() >= w.start() && f.end() <= w.start() + w.size(), () -> "free " + f + " leaves the window");
            if (i > 0) {
                IovaRange prev = free.get(i - 1);
                assertTrue(prev.end() < f.start(), () -> "free blocks " + prev + " and " + f + " not coalesced");
            }
            for (IovaRange u : used) {
                assertFalse(f.overlaps(u), () -> "free " + f + " overlaps allocated " + u);
            }
            freeBytes += f.size();
        }
        assertEquals(w.size(), usedBytes + freeBytes, "free + allocated = capacity");
        assertEquals(freeBytes, a.freeBytes());
        assertEquals(usedBytes, a.allocatedBytes());
        assertEquals(free.stream().mapToLong(IovaRange::size).max().orElse(0), a.largestFree());
    }

    @Property(tries = 200)
    void randomSequences_keepEveryInvariant(@ForAll("windows") Window w, @ForAll("ops") List<Op> ops)
            throws VfioException {
        List<IovaRange> unmapped = new ArrayList<>();
        IovaAllocator a = new IovaAllocator(w.start(), w.size(), w.pageSize(),
                (iova, size) -> unmapped.add(new IovaRange(iova, size)));
        List<IovaRange> live = new ArrayList<>();
        for (Op op : ops) {
            if (op.alloc() || live.isEmpty()) {
                long length = op.pages() * w.pageSize() - (op.pages() % 2 == 0 ? 1 : 0); // some not page multiples
                long align = w.pageSize() << op.alignPow();
                List<IovaRange> before = a.freeRanges();
                Optional<IovaRange> r = a.tryAllocate(length, align);
                if (r.isPresent()) {
                    IovaRange got = r.get();
                    assertEquals(a.roundUp(length), got.size());
                    assertEquals(0, got.start() % align, "alignment");
                    if (op.alignPow() == 0) {
                        // Best fit: the range was cut from the low end of the smallest block that fits.
                        IovaRange best = before.stream().filter(f -> f.size() >= got.size())
                                .min((x, y) -> x.size() != y.size() ? Long.compare(x.size(), y.size())
                                        : Long.compare(x.start(), y.start())).orElseThrow();
                        assertEquals(best.start(), got.start(), "best fit");
                    }
                    live.add(got);
                } else if (op.alignPow() == 0) {
                    assertTrue(a.largestFree() < a.roundUp(length), "refused although a block fits");
                }
            } else {
                IovaRange victim = live.remove(op.pick() % live.size());
                int n = unmapped.size();
                a.free(victim);
                assertEquals(n + 1, unmapped.size());
                assertEquals(victim, unmapped.getLast(), "free unmaps exactly the freed range");
            }
            checkInvariants(a, w);
        }
        for (IovaRange r : live) {
            a.free(r);
        }
        checkInvariants(a, w);
        assertEquals(w.size(), a.freeBytes(), "everything freed: full capacity");
        assertEquals(1, a.freeBlockCount(), "everything freed: one block");
        assertEquals(w.size(), a.largestFree());
    }

    @Property(tries = 200)
    void allocThenFree_restoresTheFreeListExactly(@ForAll("windows") Window w, @ForAll("ops") List<Op> setup,
            @ForAll @IntRange(min = 1, max = 500) int pages) throws VfioException {
        IovaAllocator a = new IovaAllocator(w.start(), w.size(), w.pageSize(), IovaAllocator.Unmapper.NONE);
        for (Op op : setup) {
            if (op.alloc()) {
                a.tryAllocate(op.pages() * w.pageSize());
            }
        }
        List<IovaRange> before = a.freeRanges();
        long freeBefore = a.freeBytes();
        Optional<IovaRange> r = a.tryAllocate(pages * w.pageSize());
        if (r.isPresent()) {
            assertEquals(freeBefore - pages * w.pageSize(), a.freeBytes());
            a.free(r.get());
        }
        assertEquals(freeBefore, a.freeBytes());
        assertEquals(before, a.freeRanges());
    }

    @Property(tries = 100)
    void fillingTheWindowWithPages_usesEveryPage_andEmptyingItRestoresOneBlock(@ForAll("windows") Window w,
            @ForAll @Size(max = 8) List<@IntRange(min = 0, max = 1000) Integer> order) throws VfioException {
        long pages = Math.min(w.pages(), 512);
        IovaAllocator a = new IovaAllocator(w.start(), pages * w.pageSize(), w.pageSize(), IovaAllocator.Unmapper.NONE);
        List<IovaRange> all = new ArrayList<>();
        for (long i = 0; i < pages; i++) {
            all.add(a.allocate(1));
        }
        assertEquals(0, a.freeBytes());
        assertTrue(a.tryAllocate(1).isEmpty());
        int k = 0;
        while (!all.isEmpty()) {
            int idx = order.isEmpty() ? 0 : order.get(k++ % order.size()) % all.size();
            a.free(all.remove(idx));
        }
        assertEquals(1, a.freeBlockCount());
        assertEquals(pages * w.pageSize(), a.largestFree());
    }
}
