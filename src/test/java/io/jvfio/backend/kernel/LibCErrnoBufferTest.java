package io.jvfio.backend.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.backend.Errno;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * LibC's per-thread errno buffer with its shortcut for the thread that calls most: each thread keeps
 * its own buffer whoever called in between, and errno never crosses from one thread to another.
 */
class LibCErrnoBufferTest {
    @Test
    void eachThreadKeepsItsOwnBuffer_whenThreadsAlternate() throws Exception {
        MemorySegment mine = LibC.errnoBuffer();
        AtomicReference<MemorySegment> theirs = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> theirs.set(LibC.errnoBuffer()));
        t.join();
        assertNotEquals(mine.address(), theirs.get().address(), "two threads, two buffers");
        assertEquals(mine.address(), LibC.errnoBuffer().address(), "after another thread called, still this thread's own");
        Thread many = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 200; i++) { // enough misses to take the shortcut from this thread
                theirs.set(LibC.errnoBuffer());
            }
        });
        many.join();
        assertNotEquals(mine.address(), theirs.get().address(), "a thread that took the shortcut has its own");
        for (int i = 0; i < 200; i++) {
            assertEquals(mine.address(), LibC.errnoBuffer().address(), "and this one still gets its own, call " + i);
        }
        Thread v = Thread.ofVirtual().start(() -> theirs.set(LibC.errnoBuffer()));
        v.join();
        assertNotEquals(mine.address(), theirs.get().address(), "a virtual thread has its own too");
    }

    @Test
    void errnoStaysWithTheThreadThatFailed_underInterleaving() throws Exception {
        // close(-1) fails with EBADF in one thread while munmap of an unaligned address fails with EINVAL in the other.
        int rounds = 2000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread failing = Thread.ofPlatform().start(() -> {
            await(start);
            for (int i = 0; i < rounds && wrong.get() == null; i++) {
                int r = LibC.close(-1);
                if (r != -Errno.EBADF) {
                    wrong.set("close(-1) returned " + r + ", expected -EBADF");
                }
            }
        });
        Thread other = Thread.ofPlatform().start(() -> {
            await(start);
            for (int i = 0; i < rounds && wrong.get() == null; i++) {
                int r = LibC.munmap(1, 4096);
                if (r != -Errno.EINVAL) {
                    wrong.set("munmap(1, 4096) returned " + r + ", expected -EINVAL");
                }
            }
        });
        start.countDown();
        failing.join();
        other.join();
        assertNull(wrong.get(), wrong.get());
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
