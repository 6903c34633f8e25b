package io.jvfio.contract;

import static io.jvfio.backend.Errno.EEXIST;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.contract.Fixture.DDW_START;
import static io.jvfio.contract.Fixture.DMA32_SIZE;
import static io.jvfio.contract.Fixture.K;
import static io.jvfio.contract.Fixture.M;
import static io.jvfio.contract.Fixture.RW;

import io.jvfio.abi.VfioUapi;
import io.jvfio.contract.Backends.Variant;
import io.jvfio.emul.EmulatorState;
import io.jvfio.emul.EmulatorState.Container;
import io.jvfio.emul.EmulatorState.PreregRegion;
import io.jvfio.emul.EmulatorState.Window;
import io.jvfio.emul.KernelBugException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random sequences of v2 operations on the emulator (REGISTER/UNREGISTER of a few buffers,
 * CREATE/REMOVE with assorted page sizes, window sizes and levels, MAP/UNMAP at the starts, the
 * ends, across the ends and outside windows), checked after every step against what the 6.12
 * pSeries kernel guarantees:
 *
 * <ol>
 *   <li>a container has at most two windows, in slots 0 and 1, and they never overlap; each has a
 *       page size from ddw.pgsizes, a power-of-two size of at least one page, and starts where QEMU
 *       puts windows (0 or 1 << 59), aligned to its size; while the default window is pending
 *       there is none;</li>
 *   <li>every mapped TCE lies inside a window, and the mapped IOVA pages are exactly those that
 *       successful MAPs put there and no UNMAP or REMOVE took away;</li>
 *   <li>every TCE is counted by the pre-registered region it points into (sum of the regions'
 *       mapped counts = sum of the windows' TCEs), except after a kernel bug, and plus one for every
 *       MAP across a window end that the kernel unwound with the hypervisor's H_PARAMETER (the unwind
 *       reads the slack of the userspace view, finds no address there and never drops the count it
 *       took: a leak in 6.12, which also keeps that region pinned until the process exits);</li>
 *   <li>a MAP that fails inside its build loop clears the pages it had written, including what they
 *       held before it;</li>
 *   <li>locked_vm never drops below where it started; once the container is torn down (group
 *       unset, fd closed) it is exactly back there, plus the regions that outlive their container
 *       (UNREGISTERed while mapped: the kernel keeps them pinned until the process exits), plus the
 *       tables of CREATEs the platform refused after they were charged (levels > 1, a window that is
 *       not a power of two or too big for the hypervisor, a slot-0 or device-tree conflict, an RTAS
 *       failure), which 6.12 never un-charges; after a kernel bug killed the process, at least
 *       that;</li>
 *   <li>a v2 MAP whose page-aligned range starts in a window and runs past its end never reports
 *       success: the kernel oopses there when the first page past the end is in a registered region
 *       and the window's userspace view fills its pages exactly (KernelBugException is then
 *       required), and otherwise fails.</li>
 * </ol>
 *
 * Emulator only (it inspects the model's state; there is nothing to inspect in a real kernel).
 * A modelled kernel bug ends a sequence (the real process dies with SIGSEGV): later steps do nothing.
 * Four properties of 2,500 sequences each (10,000 in all), differing in the mix of operations.
 */
@Tag("contract")
@Tag("emulator-only")
class ModelPropertiesTest {
    private static final long PGSIZES = 0x1211000L;
    /** The raw hcall status a MAP returns when the hypervisor refuses a TCE past a window's end. */
    private static final long H_PARAMETER = -4;
    private static final long[] ABSOLUTE_IOVAS = {0, 0x100000, 0x3fff0000L, DMA32_SIZE, DDW_START, DDW_START + 0x10000};

    private Harness current;

    // ---- properties ------------------------------------------------------------------------------

    @Property(tries = 2500)
    void windowsNeverOverlapAndTcesStayInside(@ForAll("windowHeavy") ActionChain<Harness> chain) {
        run(chain);
    }

    @Property(tries = 2500)
    void mappedPagesAreExactlyWhatMapsLeft(@ForAll("mapHeavy") ActionChain<Harness> chain) {
        run(chain);
    }

    @Property(tries = 2500)
    void mapsAcrossWindowEndsNeverSucceed(@ForAll("crossingHeavy") ActionChain<Harness> chain) {
        run(chain);
    }

    @Property(tries = 2500)
    void lockedVmReturnsToStartAfterTeardown(@ForAll("mixed") ActionChain<Harness> chain) {
        run(chain);
    }

    private void run(ActionChain<Harness> chain) {
        try {
            Harness h = chain.withInvariant("what the 6.12 pSeries kernel guarantees", Harness::checkInvariants).run();
            h.teardownAndCheck();
            Statistics.label("windows created").collect(Math.min(h.windowsCreated, 3) + (h.windowsCreated > 2 ? "+" : ""));
            Statistics.label("MAPs that succeeded").collect(h.mapsOk == 0 ? "0" : h.mapsOk < 4 ? "1-3" : "4+");
            Statistics.label("kernel bug (oops)").collect(h.kernelBug);
            Statistics.label("sticky failed DDW").collect(h.failedDdw);
            Statistics.label("charge never given back").collect(h.chargeLeak);
            Statistics.label("mapped count leaked").collect(h.mappedCountLeaks > 0);
        } finally {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }

    @Provide
    Arbitrary<ActionChain<Harness>> windowHeavy() {
        return chain(2, 1, 5, 4, 3, 2, 0, false, 20);
    }

    @Provide
    Arbitrary<ActionChain<Harness>> mapHeavy() {
        return chain(4, 2, 2, 1, 7, 4, 0, false, 25);
    }

    @Provide
    Arbitrary<ActionChain<Harness>> crossingHeavy() {
        return chain(4, 1, 3, 1, 3, 1, 4, false, 20);
    }

    /** Fewer of the CREATEs whose charge the kernel keeps, so that most sequences check locked_vm exactly. */
    @Provide
    Arbitrary<ActionChain<Harness>> mixed() {
        return chain(4, 2, 3, 2, 4, 2, 0, true, 30);
    }

    private Arbitrary<ActionChain<Harness>> chain(int register, int unregister, int create, int remove, int map,
            int unmap, int crossing, boolean lean, int length) {
        var c = ActionChain.<Harness>startWith(() -> current = new Harness())
                .withAction(register, action(Arbitraries.integers().between(0, Harness.REGIONS - 1)
                        .map(r -> Transformer.mutate("register R" + r, h -> h.register(r)))))
                .withAction(unregister, action(Arbitraries.integers().between(0, Harness.REGIONS - 1)
                        .map(r -> Transformer.mutate("unregister R" + r, h -> h.unregister(r)))))
                .withAction(create, action(createTransformers(lean)))
                .withAction(remove, action(removeTransformers()))
                .withAction(map, action(mapTransformers(false)))
                .withAction(unmap, action(unmapTransformers()));
        if (crossing > 0) {
            c = c.withAction(crossing, action(mapTransformers(true)));
        }
        return c.withMaxTransformations(length);
    }

    private static Action.Independent<Harness> action(Arbitrary<Transformer<Harness>> t) {
        return () -> t;
    }

    private static Arbitrary<Transformer<Harness>> createTransformers(boolean lean) {
        Arbitrary<Integer> shift = lean
                ? Arbitraries.frequency(Tuple.of(12, 12), Tuple.of(6, 16), Tuple.of(4, 21), Tuple.of(1, 24), Tuple.of(1, 13))
                : Arbitraries.frequency(Tuple.of(8, 12), Tuple.of(8, 16), Tuple.of(6, 21), Tuple.of(3, 24),
                        Tuple.of(1, 13), Tuple.of(1, 30));
        // 0 a power of two >= 2 MiB and >= one page, 1 not a power of two, 2 smaller than a page
        // (RTAS refuses it: sticky; not with 4 KiB pages, where it would be a zero-TCE default-shaped
        // window), 3 more TCEs than the hypervisor's largest block, 4 an empty table. No 4 KiB-page
        // window is below 2 MiB: a default-shaped window that small has slack in its userspace view and
        // the hypervisor's 1 GiB default window behind it, so a MAP across its end silently succeeds in
        // the real kernel (a memory overrun, not a crash) and is left out of these sequences.
        Arbitrary<Integer> kind = lean
                ? Arbitraries.frequency(Tuple.of(95, 0), Tuple.of(5, 4))
                : Arbitraries.frequency(Tuple.of(88, 0), Tuple.of(4, 1), Tuple.of(1, 2), Tuple.of(3, 3), Tuple.of(4, 4));
        Arbitrary<Integer> log2 = Arbitraries.integers().between(21, 34);
        Arbitrary<Integer> levels = lean ? Arbitraries.just(1) : Arbitraries.frequency(Tuple.of(19, 1), Tuple.of(1, 2));
        return Combinators.combine(shift, kind, log2, levels).as((s, k, l, lv) -> {
            long size = switch (k) {
                case 0 -> 1L << Math.max(l, s);
                case 1 -> 3L << (Math.max(l, s) - 2);
                case 2 -> s == 12 ? 1L << Math.max(l, s) : 1L << (s - 1);
                case 3 -> 1L << Math.min(62, 37 + s + 1);
                default -> 1L << (s - 4);
            };
            return Transformer.mutate("create " + s + " 0x" + Long.toHexString(size) + " " + lv,
                    h -> h.create(s, size, lv));
        });
    }

    private static Arbitrary<Transformer<Harness>> removeTransformers() {
        // 0 slot 0's start, 1 slot 1's start, 2 inside slot 0, 3 address 0, 4 1<<59, 5 anywhere
        Arbitrary<Integer> target = Arbitraries.integers().between(0, 5);
        Arbitrary<Long> any = Arbitraries.longs();
        return Combinators.combine(target, any).as((t, a) ->
                Transformer.mutate("remove target=" + t + (t == 5 ? " 0x" + Long.toHexString(a) : ""), h -> h.remove(t, a)));
    }

    private static Arbitrary<Transformer<Harness>> mapTransformers(boolean crossing) {
        Arbitrary<Integer> where = Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(4, 1), Tuple.of(1, 2));
        // 0 start, 1 last pages, 2 across the end, 3 just past the end, 4 middle, 5 misaligned
        Arbitrary<Integer> pos = crossing ? Arbitraries.just(2)
                : Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(3, 1), Tuple.of(1, 2), Tuple.of(1, 3),
                        Tuple.of(3, 4), Tuple.of(1, 5));
        Arbitrary<Integer> pages = crossing
                ? Arbitraries.frequency(Tuple.of(4, 2), Tuple.of(2, 3), Tuple.of(1, 16))
                : Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(6, 1), Tuple.of(4, 2), Tuple.of(2, 4), Tuple.of(1, 16));
        // 0 normal, 1 hugetlb, 2 small, 3 the one that fits the window's page size
        Arbitrary<Integer> buf = Arbitraries.frequency(Tuple.of(2, 0), Tuple.of(2, 1), Tuple.of(1, 2), Tuple.of(5, 3));
        Arbitrary<Integer> off = Arbitraries.frequency(Tuple.of(6, 0), Tuple.of(2, 1), Tuple.of(1, 2));
        Arbitrary<Integer> flags = Arbitraries.frequency(Tuple.of(12, RW), Tuple.of(2, VfioUapi.VFIO_DMA_MAP_FLAG_READ),
                Tuple.of(2, VfioUapi.VFIO_DMA_MAP_FLAG_WRITE), Tuple.of(1, 0));
        Arbitrary<Integer> abs = Arbitraries.integers().between(0, ABSOLUTE_IOVAS.length - 1);
        return Combinators.combine(where, pos, pages, buf, off, flags, abs).as((w, p, n, b, o, fl, a) ->
                Transformer.mutate("map where=" + w + " pos=" + p + " pages=" + n + " buf=" + b + " off=" + o + " flags=" + fl
                        + (w == 2 ? " iova=0x" + Long.toHexString(ABSOLUTE_IOVAS[a]) : ""),
                        h -> h.map(w, p, n, b, o, fl, a)));
    }

    private static Arbitrary<Transformer<Harness>> unmapTransformers() {
        Arbitrary<Integer> where = Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(4, 1), Tuple.of(1, 2));
        Arbitrary<Integer> pos = Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(2, 1), Tuple.of(1, 2), Tuple.of(1, 3),
                Tuple.of(2, 4), Tuple.of(1, 5), Tuple.of(2, 6));
        Arbitrary<Integer> pages = Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(4, 1), Tuple.of(3, 2), Tuple.of(2, 16));
        Arbitrary<Integer> abs = Arbitraries.integers().between(0, ABSOLUTE_IOVAS.length - 1);
        return Combinators.combine(where, pos, pages, abs).as((w, p, n, a) ->
                Transformer.mutate("unmap where=" + w + " pos=" + p + " pages=" + n
                        + (w == 2 ? " iova=0x" + Long.toHexString(ABSOLUTE_IOVAS[a]) : ""), h -> h.unmap(w, p, n, a)));
    }

    // ---- the state under test -------------------------------------------------------------------------

    /** One v2 container on a fresh emulator, its buffers, and what the test expects of it. */
    static final class Harness implements AutoCloseable {
        static final int REGIONS = 6;

        final Fixture f;
        final int c;
        final long lockedAtStart;
        final MemorySegment[] buffers;
        /** [vaddr, size] candidates for REGISTER/UNREGISTER (the last one misaligned). */
        final long[][] regions;
        /** Bus addresses of the IOMMU pages the model must show as mapped. */
        final TreeSet<Long> mapped = new TreeSet<>();
        final List<String> calls = new ArrayList<>();
        boolean chargeLeak;
        /** Bytes charged to locked_vm by CREATEs the platform refused: the kernel never gives them back. */
        long leakedBytes;
        boolean kernelBug;
        /** Region mapped counts the kernel took and never gave back (see {@link #map}). */
        long mappedCountLeaks;
        int windowsCreated;
        int mapsOk;
        boolean failedDdw;

        Harness() {
            f = Fixture.open(Variant.EMULATED_PPC64LE);
            lockedAtStart = f.lockedVmBytes();
            c = f.v2();
            MemorySegment normal = f.buffer(2 * M, false);
            MemorySegment huge = f.buffer(2 * M, true);
            MemorySegment small = f.buffer(64 * K, false);
            buffers = new MemorySegment[] {normal, huge, small};
            regions = new long[][] {
                {normal.address(), 2 * M}, {normal.address(), M}, {normal.address() + M, M},
                {huge.address(), 2 * M}, {small.address(), 64 * K}, {normal.address() + 1, 64 * K},
            };
        }

        @Override
        public void close() {
            f.close();
        }

        private EmulatorState state(boolean pages) {
            return EmulatorProbe.state(f.b, pages);
        }

        private Container container(EmulatorState s) {
            Container ct = s.container(c);
            if (ct == null) {
                fail("container " + c + " vanished from the model");
            }
            return ct;
        }

        private void logCall(String what, long result) {
            calls.add(what + " -> " + ErrnoAssert.show(result));
        }

        private void fail(String message) {
            List<String> tail = calls.subList(Math.max(0, calls.size() - 30), calls.size());
            throw new AssertionError(message + "\n  calls (last " + tail.size() + "):\n    " + String.join("\n    ", tail));
        }

        private static Window containing(List<Window> ws, long iova) {
            for (Window w : ws) {
                if (Long.compareUnsigned(iova, w.start()) >= 0 && Long.compareUnsigned(iova - w.start(), w.size()) < 0) {
                    return w;
                }
            }
            return null;
        }

        /** The windows a MAP/UNMAP/CREATE will see: a pending default window is created first. */
        private List<Window> effectiveWindows(Container ct, EmulatorState s) {
            List<Window> ws = new ArrayList<>(ct.windows());
            if (ct.defaultWindowPending() && !s.failedDdwGroups().contains(0)) {
                ws.add(new Window(0, 0, DMA32_SIZE, 12, 0, 0, List.of()));
            }
            return ws;
        }

        // ---- operations ------------------------------------------------------------------------

        void register(int r) {
            if (kernelBug) {
                return;
            }
            long res = f.register(c, regions[r][0], regions[r][1]);
            logCall("register R" + r, res);
        }

        void unregister(int r) {
            if (kernelBug) {
                return;
            }
            long res = f.unregister(c, regions[r][0], regions[r][1]);
            logCall("unregister R" + r, res);
        }

        void create(int shift, long size, int levels) {
            if (kernelBug) {
                return;
            }
            boolean pending = container(state(false)).defaultWindowPending();
            long res = f.create(c, shift, size, levels);
            logCall("create " + shift + " 0x" + Long.toHexString(size) + " " + levels
                    + (res == 0 ? " start=0x" + Long.toHexString(f.lastStart()) : ""), res);
            if (res == 0) {
                windowsCreated++;
            }
            if (res == -ENODEV || res == -EEXIST) {
                failedDdw = true;
            }
            if (res < 0) {
                // refused before the table is charged: no free slot, a page size the platform lacks, or
                // a one-level table of 0 bytes (with levels > 1 the pSeries table size is ~0U: charged)
                boolean beforeCharge = res == -ENOSPC || (res == -EINVAL && ((PGSIZES & (1L << shift)) == 0
                        || (Integer.compareUnsigned(levels, 1) <= 0 && (size >>> (shift - 3)) == 0)));
                if (pending && container(state(false)).defaultWindowPending()) {
                    leakDefaultTable(); // the lazy default window failed first
                } else if (!beforeCharge) {
                    leak(tableBytes(shift, size, levels)); // charged, then refused by the platform
                }
            }
        }

        /**
         * tce_iommu_create_table() charges the table (pSeries: 8 bytes per TCE, ~0U for levels > 1)
         * before the platform's create_table() and does not un-charge when that fails.
         */
        private long tableBytes(int shift, long size, int levels) {
            long table = Integer.compareUnsigned(levels, 1) > 0 ? 0xffffffffL : size >>> (shift - 3);
            long pageSize = f.b.pageSize();
            return table / pageSize * pageSize;
        }

        private void leak(long bytes) {
            chargeLeak = true;
            leakedBytes += bytes;
        }

        /** The lazy default window (4 KiB pages, dma32 size) was charged and then refused. */
        private void leakDefaultTable() {
            leak(tableBytes(12, DMA32_SIZE, 1));
        }

        void remove(int target, long any) {
            if (kernelBug) {
                return;
            }
            Container ct = container(state(false));
            Window w0 = ct.window(0);
            Window w1 = ct.window(1);
            long start = switch (target) {
                case 0 -> w0 != null ? w0.start() : 0;
                case 1 -> w1 != null ? w1.start() : DDW_START;
                case 2 -> w0 != null ? w0.start() + (1L << w0.pageShift()) : 0x100000;
                case 3 -> 0;
                case 4 -> DDW_START;
                default -> any;
            };
            Window hit = containing(ct.windows(), start);
            long res = f.remove(c, start);
            logCall("remove 0x" + Long.toHexString(start), res);
            if (res == 0 && hit != null) {
                mapped.subSet(hit.start(), true, hit.start() + hit.size() - 1, true).clear();
            }
        }

        void map(int where, int pos, int pages, int buf, int off, int flags, int abs) {
            if (kernelBug) {
                return;
            }
            EmulatorState s = state(false);
            Container ct = container(s);
            List<Window> ws = effectiveWindows(ct, s);
            Window w = where == 2 ? null : slotOrOther(ws, where);
            int shift = w != null ? w.pageShift() : 12;
            long ps = 1L << shift;
            long size = pages * ps;
            long iova = w == null ? ABSOLUTE_IOVAS[abs] : position(w, pos, size, ps);
            MemorySegment b = buffers[buf == 3 ? (shift > 12 ? 1 : 0) : buf];
            long vaddr = b.address() + switch (off) {
                case 0 -> 0L;
                case 1 -> ps;
                default -> 4 * K;
            };
            Window target = containing(ws, iova);
            boolean crossing = target != null && pages > 0 && (iova & (ps - 1)) == 0
                    && Long.compareUnsigned(iova + size - target.start(), target.size()) > 0;
            long tps = target != null ? 1L << target.pageShift() : ps;
            boolean wellFormed = target != null && (size & (tps - 1)) == 0 && (vaddr & (tps - 1)) == 0 && flags != 0
                    && (iova & (tps - 1)) == 0;
            boolean mustOops = crossing && wellFormed && viewExact(target) && lookupsPass(s, target, iova, vaddr);
            String call = "map iova=0x" + Long.toHexString(iova) + " size=0x" + Long.toHexString(size) + " vaddr=buf"
                    + (buf == 3 ? (shift > 12 ? 1 : 0) : buf)
                    + "+0x" + Long.toHexString(vaddr - b.address()) + " flags=" + flags;
            long res;
            try {
                res = f.map(c, iova, size, vaddr, flags);
            } catch (KernelBugException e) {
                calls.add(call + " -> KernelBugException: " + e.getMessage());
                if (!crossing) {
                    fail("KernelBugException for a MAP that does not cross a window end: " + call);
                }
                kernelBug = true;
                resync();
                return;
            }
            logCall(call, res);
            if (crossing && wellFormed && res >= 0) {
                fail("the model reported " + ErrnoAssert.show(res) + " for a MAP across the end of the window [0x"
                        + Long.toHexString(target.start()) + ", +0x" + Long.toHexString(target.size())
                        + "): the kernel never succeeds there (" + call + ")");
            }
            if (mustOops) {
                fail("expected KernelBugException (the 6.12 kernel oopses on a MAP across a window end whose first"
                        + " page past the end is registered), got " + ErrnoAssert.show(res) + " for " + call);
            }
            if (res == -ENODEV && ct.defaultWindowPending()) {
                leakDefaultTable();
            }
            if (res < 0 && wellFormed && ct.enabled()) {
                // failed inside the build loop: the pages written so far are cleared again, and with
                // them whatever those entries held before this MAP replaced it
                long ps2 = 1L << target.pageShift();
                long k = Math.min(firstUnbackedPage(s, target, iova, vaddr, pages), inWindowPages(target, iova));
                if (k > 0) {
                    mapped.subSet(iova, true, iova + k * ps2 - 1, true).clear();
                }
                if (crossing && res == H_PARAMETER) {
                    // the hypervisor refused the first TCE past the end; the unwind read a zero from the
                    // slack of the userspace view, so the mapped count it took is never dropped
                    mappedCountLeaks++;
                }
            }
            if (res == 0 && size > 0) {
                mapsOk++;
                Window now = containing(container(state(false)).windows(), iova);
                if (now == null) {
                    fail("MAP succeeded at 0x" + Long.toHexString(iova) + " but no window contains it");
                }
                long wps = 1L << now.pageShift();
                for (long a = iova; Long.compareUnsigned(a, iova + size) < 0; a += wps) {
                    mapped.add(a);
                }
            }
        }

        void unmap(int where, int pos, int pages, int abs) {
            if (kernelBug) {
                return;
            }
            EmulatorState s = state(false);
            Container ct = container(s);
            List<Window> ws = effectiveWindows(ct, s);
            Window w = where == 2 ? null : slotOrOther(ws, where);
            long ps = w != null ? 1L << w.pageShift() : 4 * K;
            long size = pos == 6 && w != null ? w.size() : pages * ps;
            long iova = w == null ? ABSOLUTE_IOVAS[abs] : position(w, pos == 6 ? 0 : pos, size, ps);
            long res = f.unmap(c, iova, size);
            logCall("unmap iova=0x" + Long.toHexString(iova) + " size=0x" + Long.toHexString(size), res);
            if (res == -ENODEV && ct.defaultWindowPending()) {
                leakDefaultTable();
            }
            if (res == 0 && size > 0) {
                Window now = containing(container(state(false)).windows(), iova);
                if (now != null) {
                    long end = Long.compareUnsigned(iova + size - now.start(), now.size()) > 0 ? now.start() + now.size() : iova + size;
                    if (Long.compareUnsigned(iova, end) < 0) {
                        mapped.subSet(iova, true, end - 1, true).clear();
                    }
                }
            }
        }

        private static Window slotOrOther(List<Window> ws, int slot) {
            for (Window w : ws) {
                if (w.slot() == slot) {
                    return w;
                }
            }
            return ws.isEmpty() ? null : ws.get(0);
        }

        private static long position(Window w, int pos, long size, long ps) {
            long end = w.start() + w.size();
            return switch (pos) {
                case 0 -> w.start();
                case 1 -> end - Math.max(size, ps);
                case 2 -> end - ps;
                case 3 -> end;
                case 4 -> w.start() + ((w.size() / 2) & -ps);
                default -> w.start() + Math.min(0x800, ps / 2);
            };
        }

        /** The window's userspace view fills whole kernel pages: the entry past the end is unmapped memory. */
        private boolean viewExact(Window w) {
            long entries = w.size() >>> w.pageShift();
            return (entries * 8) % f.b.pageSize() == 0;
        }

        /** Every page up to and including the first one past the window is in a region that can back it. */
        private static boolean lookupsPass(EmulatorState s, Window w, long iova, long vaddr) {
            long inside = inWindowPages(w, iova);
            return firstUnbackedPage(s, w, iova, vaddr, inside + 1) > inside;
        }

        /** Pages of the range from iova to the window's end. */
        private static long inWindowPages(Window w, long iova) {
            return (w.start() + w.size() - iova) >>> w.pageShift();
        }

        /** Index of the first of {@code pages} pages at vaddr that no pre-registered region can back (or pages). */
        private static long firstUnbackedPage(EmulatorState s, Window w, long iova, long vaddr, long pages) {
            long ps = 1L << w.pageShift();
            for (long i = 0; i < pages; i++) {
                long va = vaddr + i * ps;
                boolean found = false;
                for (PreregRegion r : s.preregRegions()) {
                    if (r.used() > 0 && va >= r.vaddr() && va + ps <= r.vaddr() + r.size() && r.pageShift() >= w.pageShift()) {
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return i;
                }
            }
            return pages;
        }

        /** After a modelled oops the kernel's state is what the fault left: take the model's word for it. */
        private void resync() {
            mapped.clear();
            for (Window w : container(state(true)).windows()) {
                mapped.addAll(w.mappedIovaPages());
            }
        }

        // ---- invariants ------------------------------------------------------------------------------

        void checkInvariants() {
            EmulatorState s = state(true);
            Container ct = container(s);
            List<Window> ws = ct.windows();
            if (ws.size() > 2) {
                fail("more than two windows: " + ws);
            }
            if (ct.defaultWindowPending() && !ws.isEmpty()) {
                fail("the default window is pending but windows exist: " + ws);
            }
            long tces = 0;
            TreeSet<Long> seen = new TreeSet<>();
            for (int i = 0; i < ws.size(); i++) {
                Window w = ws.get(i);
                if (w.slot() != 0 && w.slot() != 1) {
                    fail("window in slot " + w.slot());
                }
                if (w.pageShift() >= 64 || (PGSIZES & (1L << w.pageShift())) == 0) {
                    fail("window with unsupported page shift " + w.pageShift() + ": " + w);
                }
                if (Long.bitCount(w.size()) != 1 || Long.compareUnsigned(w.size(), 1L << w.pageShift()) < 0) {
                    fail("window size is not a power of two of at least one page: " + w);
                }
                if ((w.start() != 0 && w.start() != DDW_START) || (w.start() & (w.size() - 1)) != 0) {
                    fail("window not at 0 or 1<<59 aligned to its size: " + w);
                }
                for (int j = i + 1; j < ws.size(); j++) {
                    Window o = ws.get(j);
                    if (o.slot() == w.slot()) {
                        fail("two windows in slot " + w.slot());
                    }
                    boolean disjoint = Long.compareUnsigned(w.start() + w.size() - 1, o.start()) < 0
                            || Long.compareUnsigned(o.start() + o.size() - 1, w.start()) < 0;
                    if (!disjoint) {
                        fail("windows overlap: " + w + " and " + o);
                    }
                }
                if (w.mappedTces() != w.mappedIovaPages().size()) {
                    fail("window counts " + w.mappedTces() + " TCEs but lists " + w.mappedIovaPages().size());
                }
                long mask = (1L << w.pageShift()) - 1;
                for (long a : w.mappedIovaPages()) {
                    if (containing(List.of(w), a) == null || (a & mask) != 0) {
                        fail("mapped TCE at 0x" + Long.toHexString(a) + " outside its window " + w);
                    }
                }
                seen.addAll(w.mappedIovaPages());
                tces += w.mappedTces();
            }
            if (!seen.equals(mapped)) {
                TreeSet<Long> extra = new TreeSet<>(seen);
                extra.removeAll(mapped);
                TreeSet<Long> missing = new TreeSet<>(mapped);
                missing.removeAll(seen);
                fail("mapped IOVA pages differ from what the calls left: unexpected " + hex(extra) + ", missing " + hex(missing));
            }
            if (!kernelBug) {
                long counted = 0;
                for (PreregRegion r : s.preregRegions()) {
                    counted += r.mappedCount();
                }
                if (counted != tces + mappedCountLeaks) {
                    fail("regions count " + counted + " mapped pages, windows hold " + tces + " TCEs (+"
                            + mappedCountLeaks + " counts leaked by unwound MAPs across a window end)");
                }
            }
            if (s.lockedVmBytes() < lockedAtStart) {
                fail("locked_vm 0x" + Long.toHexString(s.lockedVmBytes()) + " below its start 0x" + Long.toHexString(lockedAtStart));
            }
        }

        /** Unset the container, close its fd: locked_vm back at the start (plus what outlives it). */
        void teardownAndCheck() {
            long r = f.unsetContainer(f.group);
            if (r != 0) {
                fail("groupUnsetContainer: " + ErrnoAssert.show(r));
            }
            EmulatorState s = state(false);
            Container ct = container(s);
            if (!ct.windows().isEmpty() || !ct.iommu().equals("none")) {
                fail("after the last group left the container still has an IOMMU: " + ct);
            }
            checkLocked(s, "after UNSET_CONTAINER");
            if (f.closeFd(c) != 0) {
                fail("close(container) failed");
            }
            checkLocked(state(false), "after close(container)");
        }

        private void checkLocked(EmulatorState s, String when) {
            long lingering = 0;
            for (PreregRegion p : s.preregRegions()) {
                if (p.containers() != 0) {
                    fail(when + ": region still registered with a container: " + p);
                }
                lingering += p.size();
            }
            long expected = lockedAtStart + lingering + leakedBytes;
            long got = s.lockedVmBytes();
            if (kernelBug ? got < expected : got != expected) {
                fail(when + ": locked_vm 0x" + Long.toHexString(got) + ", expected " + (kernelBug ? "at least " : "")
                        + "0x" + Long.toHexString(expected) + " (start 0x" + Long.toHexString(lockedAtStart)
                        + " + regions that outlive their container 0x" + Long.toHexString(lingering)
                        + " + charges of refused CREATEs 0x" + Long.toHexString(leakedBytes) + ")");
            }
        }

        private static String hex(TreeSet<Long> s) {
            List<String> out = new ArrayList<>();
            for (long a : s) {
                if (out.size() == 8) {
                    out.add("... (" + s.size() + ")");
                    break;
                }
                out.add("0x" + Long.toHexString(a));
            }
            return out.toString();
        }
    }
}
