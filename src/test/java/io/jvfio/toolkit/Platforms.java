package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Device;
import io.jvfio.DmaDirection;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.backend.VfioBackend;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/** Test helpers: a call-recording backend and the edu DMA round trip. */
final class Platforms {
    private Platforms() {}

    /** The ioctl-level calls (method names of the seam) a backend received, in order. */
    static final class Recorder {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        /** The calls, without the file and memory plumbing. */
        List<String> ioctls() {
            Set<String> skip = Set.of("arch", "description", "emulated", "pageSize", "hugePageSize", "kernelRelease", "pread",
                    "pwrite", "read", "write", "poll", "mmapRegion", "mmapAnonymous", "deviceGetRegionInfo", "deviceGetInfo",
                    "deviceGetIrqInfo", "getApiVersion", "checkExtension");
            synchronized (calls) {
                return calls.stream().filter(c -> !skip.contains(c)).toList();
            }
        }

        int indexOf(String call) {
            return ioctls().indexOf(call);
        }

        int lastIndexOf(String call) {
            return ioctls().lastIndexOf(call);
        }
    }

    /** A Vfio over {@code profile} whose every backend call is recorded. */
    static Vfio recorded(Profile profile, Recorder rec) {
        EmulatedBackend real = new EmulatedBackend(profile);
        VfioBackend proxy = (VfioBackend) Proxy.newProxyInstance(VfioBackend.class.getClassLoader(),
                new Class<?>[] {VfioBackend.class}, (p, m, args) -> {
                    rec.calls.add(m.getName());
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return Vfio.over(proxy);
    }

    /** What an edu round trip did. */
    record RoundTrip(long srcIova, long dstIova, int length) {}

    /**
     * The edu DMA round trip through a session: two buffers allocated and mapped by the session, bytes
     * RAM -> edu -> RAM at the IOVAs the session returned, verified byte for byte.
     */
    static RoundTrip eduRoundTrip(DmaSession s, String address) throws VfioException {
        return eduRoundTrip(s, s.openDevice(address));
    }

    /** As {@link #eduRoundTrip(DmaSession, String)} with a device the caller opened. */
    static RoundTrip eduRoundTrip(DmaSession s, Device dev) throws VfioException {
        try (EduDevice edu = EduDevice.open(dev)) {
            assertEquals(EduDevice.ID, edu.id());
            DmaMemory src = s.allocate(EduDevice.MAX_TRANSFER);
            DmaMemory dst = s.allocate(EduDevice.MAX_TRANSFER);
            long srcIova = s.map(src, DmaDirection.TO_DEVICE);
            long dstIova = s.map(dst, DmaDirection.FROM_DEVICE);
            assertTrue(s.window().containsRange(srcIova, src.size()), "source IOVA inside the window");
            assertTrue(s.window().containsRange(dstIova, dst.size()), "destination IOVA inside the window");
            int length = 4000;
            fill(src.segment(), length, 7, 3);
            dst.segment().fill((byte) 0);
            edu.dmaToDevice(srcIova, 0, length);
            edu.dmaFromDevice(0, dstIova, length);
            assertEquals(-1, src.segment().asSlice(0, length).mismatch(dst.segment().asSlice(0, length)),
                    "bytes after the round trip");
            return new RoundTrip(srcIova, dstIova, length);
        }
    }

    static void fill(MemorySegment m, int length, int mul, int add) {
        for (int i = 0; i < length; i++) {
            m.set(ValueLayout.JAVA_BYTE, i, (byte) (i * mul + add));
        }
    }
}
