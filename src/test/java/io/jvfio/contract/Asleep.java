package io.jvfio.contract;

/**
 * For tests that wake a blocked wait from another thread: lets the waiter get to sleep first, so the
 * wake-up most likely meets a sleeping thread. What such a test asserts must hold either way (a signal
 * that comes first is seen at once), so nothing here is timed.
 */
public final class Asleep {
    private Asleep() {}

    /**
     * Returns once {@code t} waits on a Java monitor or park (the emulator's poll, the JVM's own
     * waits), at most after 30 s. A thread in a native call, such as the kernel's poll(2), shows as
     * RUNNABLE: with {@code inJava} false this gives it 200 ms instead.
     */
    public static void until(Thread t, boolean inJava) throws InterruptedException {
        if (!inJava) {
            Thread.sleep(200);
            return;
        }
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end && t.isAlive()) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                return;
            }
            Thread.sleep(1);
        }
    }
}
