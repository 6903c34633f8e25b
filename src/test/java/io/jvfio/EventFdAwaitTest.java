package io.jvfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.backend.Errno;
import io.jvfio.backend.VfioBackend;
import io.jvfio.contract.Asleep;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link EventFd#await} sleeping in poll(2): woken by a signal from another thread, ended by a close
 * or an interrupt from another thread, and its errors. On the emulator and on this host's kernel
 * (eventfds need no VFIO). Nothing here is timed: each wait is bounded by a generous timeout only so
 * that a broken wake-up fails instead of hanging.
 */
class EventFdAwaitTest {
    private static final Duration LONG = Duration.ofMinutes(5);

    static Stream<Named<Supplier<Vfio>>> backends() {
        return Stream.of(Named.of("emulated", () -> Vfio.emulated(Profile.QEMU_PSERIES)),
                Named.of("kernel eventfds", Vfio::kernel));
    }

    /** What the device does: eventfd_signal, through the seam, on the fd the EventFd holds. */
    private static void signal(EventFd e, long n) {
        assertEquals(8, e.add(n), "write(eventfd, " + n + ")");
    }

    /** {@code e.await(LONG)} on a thread of its own: the result, and whether it was still interrupted. */
    private record Waiter(Thread thread, CompletableFuture<Long> result, AtomicInteger interrupted) {
        static Waiter start(EventFd e) {
            CompletableFuture<Long> result = new CompletableFuture<>();
            AtomicInteger interrupted = new AtomicInteger(-1);
            Thread t = Thread.ofPlatform().daemon().name("eventfd-await").start(() -> {
                try {
                    long n = e.await(LONG);
                    interrupted.set(Thread.currentThread().isInterrupted() ? 1 : 0);
                    result.complete(n);
                } catch (Throwable x) {
                    result.completeExceptionally(x);
                }
            });
            return new Waiter(t, result, interrupted);
        }

        /** Started, and (most likely) asleep in the wait. */
        static Waiter asleep(Vfio vfio, EventFd e) throws InterruptedException {
            Waiter w = start(e);
            Asleep.until(w.thread(), vfio.backend().emulated());
            return w;
        }

        long get() throws Exception {
            return result.get(60, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void await_wokenByASignalFromAnotherThread_returnsTheCount(Supplier<Vfio> open) throws Exception {
        try (Vfio vfio = open.get(); EventFd e = vfio.eventfd()) {
            Waiter w = Waiter.asleep(vfio, e);
            signal(e, 5);
            assertEquals(5, w.get(), "the count the other thread signalled");
            signal(e, 2);
            signal(e, 3);
            assertEquals(5, e.await(LONG), "signals pending before the wait: returned at once, summed");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void await_closedFromAnotherThread_endsWithIllegalStateException(Supplier<Vfio> open) throws Exception {
        try (Vfio vfio = open.get()) {
            EventFd e = vfio.eventfd();
            Waiter w = Waiter.asleep(vfio, e);
            e.close();
            ExecutionException x = assertThrows(ExecutionException.class, w::get);
            assertInstanceOf(IllegalStateException.class, x.getCause(), "the waiter's end: " + x.getCause());
            assertTrue(x.getCause().getMessage().contains("eventfd"), x.getCause().getMessage());
            assertThrows(IllegalStateException.class, () -> e.await(Duration.ZERO), "after close");
        }
    }

    /** The emulator shows that the waiter let go of the fd: the deferred close really happened. */
    @Test
    void await_endedByClose_thenTheFdIsReallyClosed() throws Exception {
        EmulatedBackend be = new EmulatedBackend(Profile.qemuPseries());
        try (Vfio vfio = Vfio.over(be)) {
            EventFd e = vfio.eventfd();
            int fd = e.acquire();
            e.release();
            Waiter w = Waiter.asleep(vfio, e);
            e.close();
            assertThrows(ExecutionException.class, w::get);
            try (Arena a = Arena.ofConfined()) {
                assertEquals(-Errno.EBADF, be.read(fd, a.allocate(8)), "read(the EventFd's old fd)");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void await_interrupted_returnsZero_andKeepsTheInterrupt(Supplier<Vfio> open) throws Exception {
        try (Vfio vfio = open.get(); EventFd e = vfio.eventfd()) {
            Waiter w = Waiter.asleep(vfio, e);
            w.thread().interrupt();
            assertEquals(0, w.get(), "an interrupted wait");
            assertEquals(1, w.interrupted().get(), "the interrupt status is kept");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void await_zeroOrNegativeTimeout_looksOnceWithoutBlocking(Supplier<Vfio> open) throws Exception {
        try (Vfio vfio = open.get(); EventFd e = vfio.eventfd()) {
            assertEquals(0, e.await(Duration.ZERO), "nothing signalled");
            assertEquals(0, e.await(Duration.ofSeconds(-1)), "negative timeout, nothing signalled");
            signal(e, 2);
            assertEquals(2, e.await(Duration.ofSeconds(-1)), "negative timeout, 2 signalled");
            assertEquals(0, e.await(Duration.ofNanos(1)), "read: the count is 0 again");
        }
    }

    /** A backend over the emulator whose poll answers {@code poll.applyAsInt(call number)} when non-zero. */
    private static Vfio withPoll(IntUnaryOperator poll, AtomicInteger calls) {
        EmulatedBackend real = new EmulatedBackend(Profile.qemuPseries());
        VfioBackend b = (VfioBackend) Proxy.newProxyInstance(VfioBackend.class.getClassLoader(),
                new Class<?>[] {VfioBackend.class}, (p, m, args) -> {
                    if (m.getName().equals("poll")) {
                        int r = poll.applyAsInt(calls.incrementAndGet());
                        if (r != 0) {
                            return r;
                        }
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException x) {
                        throw x.getCause();
                    }
                });
        return Vfio.over(b);
    }

    @Test
    void await_pollFails_namesPollAndTheErrno() throws Exception {
        try (Vfio vfio = withPoll(n -> -Errno.ENOMEM, new AtomicInteger()); EventFd e = vfio.eventfd()) {
            VfioSystemException x = assertThrows(VfioSystemException.class, () -> e.await(LONG));
            assertEquals(Errno.ENOMEM, x.errno());
            assertTrue(x.getMessage().startsWith("poll(eventfd): ENOMEM (12)"), x.getMessage());
            assertTrue(x.getMessage().contains("free some and retry"), x.getMessage());
        }
    }

    @Test
    void await_pollEintr_goesOnWaiting() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (Vfio vfio = withPoll(n -> n <= 3 ? -Errno.EINTR : 0, calls); EventFd e = vfio.eventfd()) {
            Waiter w = Waiter.start(e);
            while (calls.get() <= 3 && w.thread().isAlive()) {
                Thread.sleep(1);
            }
            Asleep.until(w.thread(), true);
            signal(e, 4);
            assertEquals(4, w.get(), "the wait went on after three EINTRs and saw the signal");
            assertTrue(calls.get() >= 4, "polls: " + calls.get());
        }
    }

    @Test
    void await_readFails_namesReadAndTheErrno() throws Exception {
        EmulatedBackend be = new EmulatedBackend(Profile.qemuPseries());
        try (Vfio vfio = Vfio.over(be); EventFd e = vfio.eventfd()) {
            be.close(); // the platform went away under the Vfio: its fds are gone
            VfioSystemException x = assertThrows(VfioSystemException.class, () -> e.await(LONG));
            assertEquals(Errno.EBADF, x.errno());
            assertTrue(x.getMessage().startsWith("read(eventfd): EBADF (9)"), x.getMessage());
        }
    }
}
