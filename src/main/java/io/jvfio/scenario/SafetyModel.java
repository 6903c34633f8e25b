package io.jvfio.scenario;

import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.KernelFix;
import io.jvfio.emul.Profile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which steps of a scenario could harm the default platform (the QEMU pseries guest of
 * scenario-format.md) if run on the real kernel: a MAP/UNMAP whose range crosses the end of a window
 * (the 6.12 kernel writes past the TCE table: an oops); a CREATE after which the kernel puts the PE on
 * its failed-DDW list and refuses every DDW until reboot: the hypervisor's
 * {@code ibm,create-pe-dma-window} fails (a window smaller than its page; two windows active in QEMU),
 * or a second dynamic window while one exists (a pSeries PE keeps one DDW property: EEXIST); or a
 * CREATE of a window so large that the guest and QEMU would allocate and later clear a huge table.
 *
 * <p>The model does not predict results. It follows the set of every state the platform could be in
 * (an over-approximation): a call may succeed or fail unless the model knows better, and a step is a
 * hazard when it is one in any of those states. {@link Tracker#advance(Step, boolean)} narrows the set
 * with a call's real outcome, for use during a run. What it tracks: whether the group is attached, v1
 * or v2, the lazy default window, the container's two window slots, how many device fds are open
 * (UNSET_CONTAINER fails while any is), and whether QEMU holds a window Linux does not know about
 * (QEMU restores its default window when the last window removed is not its default one; and its
 * default window stays live when a v2 container drops its still-pending default window). The
 * platform has one group, group 0, so the attached group is the current one.
 */
public final class SafetyModel {
    /** The platform guarded: the emulator's default profile, which describes the project's guest. */
    private static final Profile PLATFORM = Profile.qemuPseries();
    /** The default window: [0, 1 GiB), 4 KiB TCEs. */
    public static final long DMA32_SIZE = PLATFORM.dma32WindowSize();
    /** Where QEMU puts a window when one is already active. */
    public static final long DDW_START = PLATFORM.dma64WindowAddr();
    /** Page shifts in the default platform's pgsizes (0x1211000: 12, 16, 21, 24). */
    public static final Set<Integer> PAGE_SHIFTS = pageShifts(PLATFORM.pgsizes());
    /** Largest TCE table a scenario may create (8 MiB of TCEs; ~2 s to clear under TCG). */
    public static final long MAX_TCES = 1L << 20;
    /** QEMU's largest block (ibm,query-pe-dma-window, 6 outputs): larger windows fail with EINVAL first. */
    public static final long LARGEST_BLOCK_TCES = PLATFORM.largestBlockTces();
    /** Device fds counted exactly up to this many; more count as this many ("at least"). */
    private static final int MAX_DEVICES = 4;

    private SafetyModel() {}

    private static Set<Integer> pageShifts(long pgsizes) {
        Set<Integer> out = new HashSet<>();
        for (long bits = pgsizes; bits != 0; bits &= bits - 1) {
            out.add(Long.numberOfTrailingZeros(bits));
        }
        return Set.copyOf(out);
    }

    /** One step the model refuses, and why. */
    public record Hazard(Step step, String reason) {
        @Override
        public String toString() {
            return "line " + step.line() + " (" + step.text() + "): " + reason;
        }
    }

    /** A DMA window known to Linux. {@code dflt}: the default-shaped window in slot 0. */
    record Window(long start, long size, int shift, boolean dflt) {
        boolean contains(long addr) {
            return Long.compareUnsigned(addr, start) >= 0 && Long.compareUnsigned(addr - start, size) < 0;
        }
    }

    /**
     * One possible state. {@code iommu}: 0 none, 1 v1, 2 v2. {@code hidden}: QEMU has an active window
     * Linux does not track. {@code devices}: open device fds.
     */
    record State(boolean attached, int iommu, boolean pending, Window slot0, Window slot1, boolean hidden, int devices) {
        static final State INITIAL = new State(false, 0, false, null, null, false, 0);

        int qemuWindows() {
            return (slot0 == null ? 0 : 1) + (slot1 == null ? 0 : 1) + (hidden ? 1 : 0);
        }

        boolean ddwExists() {
            return (slot0 != null && !slot0.dflt()) || (slot1 != null && !slot1.dflt());
        }

        List<Window> windows() {
            List<Window> w = new ArrayList<>(2);
            if (slot0 != null) {
                w.add(slot0);
            }
            if (slot1 != null) {
                w.add(slot1);
            }
            return w;
        }

        State withSlots(Window s0, Window s1) {
            return new State(attached, iommu, pending, s0, s1, hidden, devices);
        }

        State withDevices(int n) {
            return new State(attached, iommu, pending, slot0, slot1, hidden, n);
        }

        /**
         * After the lazy default window was created (MAP, UNMAP and CREATE do it first): a default-window
         * request, so the PE's windows were reset and QEMU holds nothing Linux does not know about.
         */
        State materialized() {
            return pending ? new State(attached, iommu, false, new Window(0, DMA32_SIZE, 12, true), null, false, devices) : this;
        }
    }

    /** When a successor state applies: after the call succeeded, failed, or either. */
    private enum When { OK, FAIL, ANY }

    private record Next(State state, When when) {}

    /** Every hazard of {@code scenario}, in order (the set of possible states goes on past each one). */
    public static List<Hazard> hazards(Scenario scenario) {
        Tracker t = new Tracker();
        List<Hazard> out = new ArrayList<>();
        for (Step s : scenario.steps()) {
            String why = t.hazard(s);
            if (why != null) {
                out.add(new Hazard(s, why));
            }
            t.advance(s);
        }
        return out;
    }

    /** True if no step of {@code scenario} is a hazard. */
    public static boolean safe(Scenario scenario) {
        return hazards(scenario).isEmpty();
    }

    /** Follows a scenario step by step: the generator asks before it appends, the runner before it runs. */
    public static final class Tracker {
        private Set<State> states = new LinkedHashSet<>(List.of(State.INITIAL));

        /**
         * Why {@code s} would be a hazard on kernel {@code release} in some possible state, or null: an
         * UNMAP leaving its window is none where the kernel checks the whole range ({@link KernelFix#TCE_RANGE_CHECK}).
         */
        public String hazard(Step s, String release) {
            return s.action() instanceof Action.Unmap && KernelFix.TCE_RANGE_CHECK.fixedIn(release) ? null : hazard(s);
        }

        /** Why {@code s} would be a hazard in some possible state, or null. */
        public String hazard(Step s) {
            for (State st : states) {
                String why = hazardIn(st, s);
                if (why != null) {
                    return why;
                }
            }
            return null;
        }

        /** Moves on past {@code s}, whatever its outcome. */
        public void advance(Step s) {
            Set<State> next = new LinkedHashSet<>();
            for (State st : states) {
                successors(st, s).forEach(n -> next.add(n.state()));
            }
            states = next;
        }

        /**
         * Moves on past {@code s}, which succeeded ({@code ok}: the result was {@code ok}) or not. Where
         * the outcome contradicts the model, nothing is ruled out.
         */
        public void advance(Step s, boolean ok) {
            Set<State> next = new LinkedHashSet<>();
            Set<State> all = new LinkedHashSet<>();
            for (State st : states) {
                for (Next n : successors(st, s)) {
                    all.add(n.state());
                    if (n.when() == When.ANY || n.when() == (ok ? When.OK : When.FAIL)) {
                        next.add(n.state());
                    }
                }
            }
            states = next.isEmpty() ? all : next;
        }

        /** The possible windows now (for the generator: where maps are interesting). */
        List<Window> possibleWindows() {
            Set<Window> w = new LinkedHashSet<>();
            for (State st : states) {
                w.addAll(st.materialized().windows());
            }
            return new ArrayList<>(w);
        }

        /** How many states are possible. */
        int size() {
            return states.size();
        }
    }

    // ---- hazards ------------------------------------------------------------------------------------

    private static String hazardIn(State st, Step s) {
        if (failsEarly(s)) {
            return null;
        }
        return switch (s.action()) {
            case Action.Map m -> crossing(st, m.iova(), m.size(), "the kernel oopses (6.12.95 and 7.2.12 alike)");
            case Action.Unmap u -> crossing(st, u.iova(), u.size(), "a kernel without "
                    + KernelFix.TCE_RANGE_CHECK.commit() + " (6.12.95) makes a failing hypervisor call per page past it,"
                    + " and far past it never returns");
            case Action.Create c -> st.iommu() == 1 ? null : createHazard(st.materialized(), c); // ENOTTY on v1
            default -> null;
        };
    }

    private static String crossing(State st, long iova, long size, String consequence) {
        if (size == 0) {
            return null;
        }
        for (State m : List.of(st, st.materialized())) {
            for (Window w : m.windows()) {
                if (w.contains(iova)) {
                    long end = w.start() + w.size();
                    long last = iova + size - 1;
                    if (Long.compareUnsigned(last, iova) < 0 || Long.compareUnsigned(last, end - 1) > 0) {
                        return "the range [" + Numbers.hex(iova) + ", +" + Numbers.hex(size) + ") may cross the end of the window ["
                                + Numbers.hex(w.start()) + ", " + Numbers.hex(end) + "): " + consequence;
                    }
                }
            }
        }
        return null;
    }

    /** Null if the CREATE cannot reach a failing hypervisor call in state {@code m} (default window materialised). */
    private static String createHazard(State m, Action.Create c) {
        if (!reachesPlatform(m, c) || defaultRequest(m, c)) {
            return null; // ENOSPC, EINVAL, EPERM, or a reset to the default window: no create call
        }
        if (Long.compareUnsigned(c.windowSize(), 1L << c.pageShift()) < 0) {
            return "a window smaller than its page makes ibm,create-pe-dma-window fail: sticky failed DDW until reboot";
        }
        if (Long.compareUnsigned(c.windowSize() >>> c.pageShift(), MAX_TCES) > 0) {
            return "more than " + MAX_TCES + " TCEs: the guest and QEMU allocate (and at REMOVE clear) a huge table";
        }
        if (m.ddwExists()) {
            return "a dynamic window exists already and a pSeries PE has one: the second CREATE fails (QEMU has no"
                    + " window left, or the kernel cannot add its property: EEXIST) and puts the PE on its failed-DDW"
                    + " list until reboot";
        }
        if (m.qemuWindows() >= 2) {
            return "QEMU already has two active windows (it restored its default one after the last DDW was removed):"
                    + " ibm,create-pe-dma-window fails, sticky failed DDW until reboot";
        }
        return null;
    }

    /** True if the CREATE gets past the generic checks to the platform's create_table. */
    private static boolean reachesPlatform(State m, Action.Create c) {
        if (m.slot0() != null && m.slot1() != null) {
            return false; // ENOSPC
        }
        if (!PAGE_SHIFTS.contains(c.pageShift()) || Long.bitCount(c.windowSize()) != 1
                || Integer.compareUnsigned(c.levels(), 1) > 0) {
            return false; // EINVAL
        }
        if (!defaultRequest(m, c) && Long.compareUnsigned(c.windowSize() >>> c.pageShift(), LARGEST_BLOCK_TCES) > 0) {
            return false; // EINVAL: larger than the largest block, before the hypervisor is asked
        }
        // slot 0 while slot 1 holds a DDW: EPERM
        return !(m.slot0() == null && m.slot1() != null);
    }

    /** Slot 0 with 4 KiB pages and at most the dma32 size: the default window again (a reset, no create call). */
    private static boolean defaultRequest(State m, Action.Create c) {
        return m.slot0() == null && c.pageShift() == 12 && Long.compareUnsigned(c.windowSize(), DMA32_SIZE) <= 0;
    }

    /** A call refused for its struct before anything changes (argsz too small, flags the ioctl rejects). */
    private static boolean failsEarly(Step s) {
        long argsz = s.argsz() == null ? Long.MAX_VALUE : s.argsz();
        long flags = s.flags() == null ? 0 : s.flags();
        return switch (s.action()) {
            case Action.Create c -> argsz < 40 || flags != 0;
            case Action.Remove r -> argsz < 16 || flags != 0;
            case Action.Map m -> argsz < 32 || ((s.flags() == null ? m.flags() : flags) & ~3L) != 0;
            case Action.Unmap u -> argsz < 24 || flags != 0;
            default -> false;
        };
    }

    // ---- transitions --------------------------------------------------------------------------------

    /** Every state {@code st} may lead to after {@code s}, each with the outcome it goes with. */
    private static List<Next> successors(State st, Step s) {
        if (failsEarly(s)) {
            return List.of(new Next(st, When.ANY));
        }
        List<Next> out = new ArrayList<>(3);
        switch (s.action()) {
            case Action.SetContainer x -> {
                if (!st.attached()) {
                    out.add(new Next(st, When.FAIL));
                    out.add(new Next(new State(true, 0, false, null, null, false, 0), When.OK));
                }
            }
            case Action.UnsetContainer x -> {
                // Certain: EBUSY with a device open, EINVAL when not attached, else success; the platform's
                // release then resets the PE (QEMU back to its default window, owned by the host).
                if (st.attached() && st.devices() == 0) {
                    out.add(new Next(State.INITIAL, When.ANY));
                }
            }
            case Action.SetIommu x -> {
                boolean spapr = x.type() == VfioUapi.VFIO_SPAPR_TCE_IOMMU || x.type() == VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU;
                if (st.attached() && st.iommu() == 0 && spapr) {
                    int v = x.type() == VfioUapi.VFIO_SPAPR_TCE_IOMMU ? 1 : 2;
                    out.add(new Next(st, When.FAIL));
                    out.add(new Next(new State(true, v, true, null, null, st.hidden(), st.devices()), When.OK));
                }
            }
            case Action.Device x -> {
                if (st.attached() && st.iommu() != 0) {
                    out.add(new Next(st, When.FAIL));
                    out.add(new Next(st.withDevices(Math.min(MAX_DEVICES, st.devices() + 1)), When.OK));
                }
            }
            case Action.CloseDevice x -> {
                if (st.devices() > 0) {
                    out.add(new Next(st, When.FAIL));
                    out.add(new Next(st.withDevices(st.devices() - 1), When.OK));
                    if (st.devices() == MAX_DEVICES) {
                        out.add(new Next(st, When.OK)); // "at least" MAX_DEVICES: maybe one is still left
                    }
                }
            }
            case Action.Map x -> mapLike(st, out);
            case Action.Unmap x -> mapLike(st, out);
            case Action.Create c -> {
                if (st.iommu() == 2) {
                    State m = st.materialized();
                    out.add(new Next(st, When.FAIL));
                    out.add(new Next(m, When.FAIL));
                    State created = created(m, c);
                    if (created != null) {
                        out.add(new Next(created, When.OK));
                    }
                }
            }
            case Action.Remove r -> {
                if (st.iommu() == 2) {
                    // With a valid struct, REMOVE of a window that exists cannot fail, nor succeed without one.
                    // Dropping the pending default window leaves QEMU's default window live (take_ownership
                    // did not remove it): a window Linux does not know about (observed on the 6.12 guest).
                    State next = st.pending() && r.start() == 0
                            ? new State(st.attached(), 2, false, null, null, true, st.devices())
                            : removed(st, r.start());
                    if (next != null) {
                        out.add(new Next(next, When.ANY));
                    }
                }
            }
            default -> { }
        }
        if (out.isEmpty()) {
            out.add(new Next(st, When.ANY));
        }
        return out;
    }

    /** MAP/UNMAP: the lazy default window is made first unless the call fails before (EPERM). */
    private static void mapLike(State st, List<Next> out) {
        if (st.iommu() == 0 || !st.pending()) {
            out.add(new Next(st, When.ANY));
            return;
        }
        out.add(new Next(st, When.FAIL));
        out.add(new Next(st.materialized(), When.ANY));
    }

    /** The state after a successful CREATE, or null when it cannot succeed. */
    private static State created(State m, Action.Create c) {
        if (!reachesPlatform(m, c)) {
            return null;
        }
        if (defaultRequest(m, c)) {
            if (m.ddwExists()) {
                return null; // EPERM: the reset would destroy the DDW
            }
            // ibm,reset-pe-dma-windows: QEMU is back to its default window only, which Linux now owns.
            return new State(m.attached(), m.iommu(), false, new Window(0, c.windowSize(), 12, true), m.slot1(), false,
                    m.devices());
        }
        if (m.ddwExists() || m.qemuWindows() >= 2 || Long.compareUnsigned(c.windowSize(), 1L << c.pageShift()) < 0) {
            return null; // fails (and is a hazard)
        }
        Window w = new Window(m.qemuWindows() == 0 ? 0 : DDW_START, c.windowSize(), c.pageShift(), false);
        return m.slot0() == null ? m.withSlots(w, m.slot1()) : m.withSlots(m.slot0(), w);
    }

    private static State removed(State st, long start) {
        Window w0 = st.slot0();
        Window w1 = st.slot1();
        Window gone;
        if (w0 != null && w0.contains(start)) {
            gone = w0;
            w0 = null;
        } else if (w1 != null && w1.contains(start)) {
            gone = w1;
            w1 = null;
        } else {
            return null;
        }
        // QEMU restores its default window when the last window goes and is not its default one. (A DDW
        // that QEMU put in its default window's slot restores nothing; the model assumes it may.) And
        // removing the default window leaves QEMU's live: the kernel only drops its property.
        boolean hidden = st.hidden() || gone.dflt() || (w0 == null && w1 == null);
        return new State(st.attached(), st.iommu(), st.pending(), w0, w1, hidden, st.devices());
    }
}
