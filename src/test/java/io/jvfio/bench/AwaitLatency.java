package io.jvfio.bench;

import io.jvfio.EventFd;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.backend.Errno;
import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Exchanger;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * How soon a thread waiting on an eventfd sees a signal from another thread, on the emulator: the
 * former {@code EventFd.await} (a non-blocking read every 50 us, {@code parkNanos} between) next to
 * today's (a read, then poll(2)), in ONE JVM, interleaved round by round over the same backend and
 * eventfd. Each sample: the waiter is already waiting (the signaller lets it wait 1 to 3 ms, at random,
 * the last part spinning so that the signal is not aligned with a timer), the signaller takes {@code t0}
 * and writes 1, the waiter takes {@code t1} when await returns;
 * latency = t1 - t0. Also per wait: the waiter's CPU time and the backend calls it made (the old loop's
 * wake-ups). Not a unit test: nothing asserts a time. Usage:
 * {@code AwaitLatency [ROUNDS [SAMPLES_PER_ROUND]]} (default 20 x 100, plus one warm-up round each).
 */
public final class AwaitLatency {
    private AwaitLatency() {}

    /** The eventfd's number, seen on its way up from the backend, and the backend calls made. */
    static final AtomicLong CALLS = new AtomicLong();
    static volatile int eventfd = -1;

    /** The emulator behind a recording proxy; both loops go through the same proxy, so its cost is shared. */
    static VfioBackend recorded(EmulatedBackend real) {
        return (VfioBackend) Proxy.newProxyInstance(VfioBackend.class.getClassLoader(),
                new Class<?>[] {VfioBackend.class}, (p, m, args) -> {
                    CALLS.incrementAndGet();
                    try {
                        Object r = m.invoke(real, args);
                        if (m.getName().equals("eventfd")) {
                            eventfd = (Integer) r;
                        }
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The former {@code EventFd.await} loop, as it was before poll(2), on the raw fd. */
    static long oldAwait(VfioBackend backend, int f, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_LONG);
            while (true) {
                long r = backend.read(f, v);
                if (r == 8) {
                    return v.get(ValueLayout.JAVA_LONG, 0);
                }
                if (r != -Errno.EAGAIN) {
                    throw new IllegalStateException("read(eventfd): " + Errno.format((int) -r));
                }
                if (System.nanoTime() > deadline) {
                    return 0;
                }
                LockSupport.parkNanos(50_000);
            }
        }
    }

    interface Waiter {
        long await() throws VfioException;
    }

    /** One sample's figures: latency (ns), waiter CPU (ns), backend calls by the waiter. */
    record Sample(long latency, long cpu, long calls) {}

    /** {@code n} samples of {@code w}, signalled by the calling thread. */
    static Sample[] measure(Waiter w, VfioBackend backend, int fd, int n) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Exchanger<long[]> done = new Exchanger<>();
        Sample[] out = new Sample[n];
        Thread waiter = Thread.ofPlatform().name("await-latency").start(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    long cpu0 = mx.getCurrentThreadCpuTime();
                    long calls0 = CALLS.get();
                    long got = w.await();
                    long t1 = System.nanoTime();
                    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
                    if (got != 1) {
                        throw new IllegalStateException("await returned " + got + ", expected the 1 signalled");
                    }
                    done.exchange(new long[] {t1, cpu, CALLS.get() - calls0}, 60, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocateFrom(ValueLayout.JAVA_LONG, 1);
            for (int i = 0; i < n; i++) {
                // Sleep 1 ms, then spin to a random point up to 2 ms later: a signal sent right when a
                // sleep timer fires would meet the old loop's park timer, expiring in the same slack window.
                long at = System.nanoTime() + ThreadLocalRandom.current().nextLong(1_000_000, 3_000_000);
                Thread.sleep(1);
                while (System.nanoTime() < at) {
                    Thread.onSpinWait();
                }
                long t0 = System.nanoTime();
                if (backend.write(fd, one) != 8) {
                    throw new IllegalStateException("write(eventfd) failed");
                }
                long[] r = done.exchange(null, 60, TimeUnit.SECONDS);
                out[i] = new Sample(r[0] - t0, r[1], r[2] - 1); // the write counted too: not the waiter's
            }
        }
        waiter.join();
        return out;
    }

    static double median(long[] v) {
        long[] a = v.clone();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2.0;
    }

    static double quantile(long[] v, double q) {
        long[] a = v.clone();
        Arrays.sort(a);
        return a[(int) Math.min(a.length - 1, Math.round(q * (a.length - 1)))];
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Duration timeout = Duration.ofSeconds(10);
        EmulatedBackend real = new EmulatedBackend(Profile.qemuPseries());
        VfioBackend backend = recorded(real);
        try (Vfio vfio = Vfio.over(backend); EventFd e = vfio.eventfd()) {
            int fd = eventfd;
            Waiter old = () -> oldAwait(backend, fd, timeout);
            Waiter now = () -> e.await(timeout);
            measure(old, backend, fd, perRound); // warm-up, discarded
            measure(now, backend, fd, perRound);
            long[][] lat = new long[2][rounds * perRound];
            long[][] cpu = new long[2][rounds * perRound];
            long[][] calls = new long[2][rounds * perRound];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int which = (r + k) % 2; // alternate which goes first
                    Sample[] s = measure(which == 0 ? old : now, backend, fd, perRound);
                    for (int i = 0; i < perRound; i++) {
                        lat[which][r * perRound + i] = s[i].latency();
                        cpu[which][r * perRound + i] = s[i].cpu();
                        calls[which][r * perRound + i] = s[i].calls();
                    }
                }
            }
            System.out.printf(Locale.ROOT, "# EventFd.await wake-up latency on the emulator (%s)%n%n", real.description());
            System.out.printf(Locale.ROOT, "CPU: %s, %d cores online; JDK %s; %d rounds x %d samples per path, interleaved; "
                    + "each wait 1-3 ms before the signal%n%n", cpuModel(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), rounds, perRound);
            System.out.println("| path | latency median | p90 | p99 | waiter CPU per wait (median) | backend calls per wait (median) |");
            System.out.println("|---|---|---|---|---|---|");
            String[] names = {"old: read + parkNanos(50 us) loop", "new: read, then poll(2)"};
            for (int k = 0; k < 2; k++) {
                System.out.printf(Locale.ROOT, "| %s | %.1f us | %.1f us | %.1f us | %.1f us | %.0f |%n", names[k],
                        median(lat[k]) / 1e3, quantile(lat[k], 0.9) / 1e3, quantile(lat[k], 0.99) / 1e3,
                        median(cpu[k]) / 1e3, median(calls[k]));
            }
        }
    }
}
