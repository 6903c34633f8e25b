package io.jvfio.toolkit;

import io.jvfio.Sizes;

/**
 * What a {@link DmaSession} plans for.
 *
 * @param budget the most DMA memory mapped at once, in bytes: the window is sized for it (the next
 *     power of two). Keep it small: REMOVE clears every TCE of the window at teardown
 * @param backing what backs the memory the session allocates; it bounds the TCE page size
 *     ({@link Backing#HUGETLB} for 2M/16M TCEs and few TCEs)
 * @param planner the planner's cost parameters
 */
public record SessionOptions(long budget, Backing backing, PlannerOptions planner) {
    /** 16 MiB: 4096 TCEs of 4K, about 7 ms to tear down in the TCG guest (1 s under nested KVM). */
    public static final long DEFAULT_BUDGET = 16L << 20;

    public SessionOptions {
        if (budget <= 0) {
            throw new IllegalArgumentException("budget must be positive: " + budget);
        }
        if (backing == null || planner == null) {
            throw new NullPointerException("backing and planner are required");
        }
    }

    /** {@value #DEFAULT_BUDGET} bytes of anonymous memory, the TCG guest's teardown cost. */
    public static SessionOptions defaults() {
        return new SessionOptions(DEFAULT_BUDGET, Backing.ANONYMOUS, PlannerOptions.defaults());
    }

    public SessionOptions withBudget(long bytes) {
        return new SessionOptions(bytes, backing, planner);
    }

    public SessionOptions withBacking(Backing b) {
        return new SessionOptions(budget, b, planner);
    }

    public SessionOptions withPlanner(PlannerOptions p) {
        return new SessionOptions(budget, backing, p);
    }

    @Override
    public String toString() {
        return "SessionOptions[budget " + Sizes.human(budget) + ", " + backing + "]";
    }
}
