package io.jvfio.guest.dma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Container;
import io.jvfio.DdwInfo;
import io.jvfio.Device;
import io.jvfio.DmaBuffer;
import io.jvfio.DmaDirection;
import io.jvfio.DmaWindow;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.TceInfo;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.contract.ContractTest;
import io.jvfio.contract.EmulatorProfile;
import io.jvfio.contract.AnyPageSize;
import io.jvfio.contract.Fixture;
import io.jvfio.contract.UnprivilegedStage;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.emul.Profile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Real DMA from Java: QEMU's edu device reads and writes process memory through the SPAPR TCE
 * windows, driven through the public API only, over the backend table ({@link ContractTest}): the
 * emulator on the host (both request-number sets), the guest kernel in the QEMU pSeries guest of
 * {@code make test-guest} and in the nested L2 (group 0 is {@code 0000:00:00.0}, group 1
 * {@code 0001:00:00.0} on a second PHB). Where the emulator can show more (the transfers its IOMMU
 * refused), the emulated runs check that too.
 *
 * <p>Windows stay small: removing one clears every TCE, ~1.8 µs each under TCG. Transfers are 4000
 * bytes (QEMU 7.2's edu aborts on exactly 4096 at its buffer's start).
 */
@AnyPageSize
public class EduDmaRoundTripTest {
    static final String DEVICE0 = "0000:00:00.0";
    static final String DEVICE1 = "0001:00:00.0";
    public static final int LEN = 4000;
    static final long MAP_OFFSET = 0x100000; // inside the default window, clear of bus address 0
    static final long DST = 0x10000;         // destination offset inside the buffer (past any 4K/64K page of the source)

    /** The pattern for one test: distinct per seed, never all zero. */
    static byte[] pattern(int seed) {
        byte[] p = new byte[LEN];
        for (int i = 0; i < LEN; i++) {
            p[i] = (byte) (i * 31 + seed * 7 + (i >> 8) + 1);
        }
        return p;
    }

    static void fill(MemorySegment s, long offset, byte[] data) {
        MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, offset, data.length);
    }

    static void assertBytes(byte[] expected, MemorySegment s, long offset, String what) {
        byte[] actual = s.asSlice(offset, expected.length).toArray(ValueLayout.JAVA_BYTE);
        int mismatch = java.util.Arrays.mismatch(expected, actual);
        assertEquals(-1, mismatch, () -> what + ": first difference at byte " + mismatch + " (expected 0x"
                + Integer.toHexString(expected[mismatch] & 0xff) + ", got 0x" + Integer.toHexString(actual[mismatch] & 0xff) + ")");
    }

    /** Round trip: memory at {@code srcIova} -> device buffer -> memory at {@code dstIova}. */
    public static void roundTrip(Fixture f, String device, EduDevice edu, MemorySegment mem, long srcIova, long srcOff,
            long dstIova, long dstOff, int seed) throws VfioException {
        byte[] p = pattern(seed);
        fill(mem, srcOff, p);
        mem.asSlice(dstOff, LEN).fill((byte) 0);
        edu.dmaToDevice(srcIova, 0, LEN);
        edu.dmaFromDevice(0, dstIova, LEN);
        assertBytes(p, mem, dstOff, String.format("DMA 0x%x -> device -> 0x%x", srcIova, dstIova));
        if (f.emulated()) {
            assertEquals(0, f.failedDmaTransfers(device), "transfers the emulated IOMMU refused");
        }
    }

    /** The body of a test in a v2 container's default window: 128 KiB registered and mapped at {@code iova}. */
    interface MappedBody {
        void run(Container c, EduDevice edu, MemorySegment mem, long iova) throws Exception;
    }

    /**
     * Runs {@code body} with group {@code group} in a v2 container, {@code device} open, and 128 KiB
     * registered and mapped at the default window's start + {@link #MAP_OFFSET}; unmaps and
     * unregisters afterwards.
     */
    static void inDefaultWindowV2(Fixture f, int group, String device, MappedBody body) throws Exception {
        Vfio vfio = f.vfio();
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(group)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            long start = c.tceInfo().dma32WindowStart();
            try (Device d = g.openDevice(device); EduDevice edu = EduDevice.open(d);
                    DmaBuffer buf = vfio.allocate(128 << 10, false)) {
                c.registerMemory(buf.segment());
                long iova = start + MAP_OFFSET;
                c.map(iova, buf.segment(), DmaDirection.BIDIRECTIONAL);
                try {
                    body.run(c, edu, buf.segment(), iova);
                } finally {
                    c.unmap(iova, buf.size());
                    c.unregisterMemory(buf.segment());
                }
            }
        }
    }

    @ContractTest
    void defaultWindow_v2_bothDirections(Fixture f) throws Exception {
        inDefaultWindowV2(f, 0, DEVICE0, (c, edu, mem, iova) -> {
            assertEquals(0x6, edu.pciCommand() & 0x6, "memory + bus master enabled");
            roundTrip(f, DEVICE0, edu, mem, iova, 0, iova + DST, DST, 1);
        });
    }

    @ContractTest
    void defaultWindow_v1_bothDirections(Fixture f) throws Exception {
        Vfio vfio = f.vfio();
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V1);
            TceInfo info = c.tceInfo();
            UnprivilegedStage.charge(c::enable, f.lockedVmBytes(), Fixture.DMA32_SIZE, "ENABLE");
            try (Device d = g.openDevice(DEVICE0); EduDevice edu = EduDevice.open(d);
                    DmaBuffer buf = vfio.allocate(128 << 10, false)) {
                long iova = info.dma32WindowStart() + MAP_OFFSET;
                c.map(iova, buf.segment(), DmaDirection.BIDIRECTIONAL);
                try {
                    roundTrip(f, DEVICE0, edu, buf.segment(), iova, 0, iova + DST, DST, 2);
                } finally {
                    c.unmap(iova, buf.size());
                }
            } finally {
                c.disable();
            }
        }
    }

    /**
     * A created 64-bit window with 4K, 64K (hugetlb backing: the guest's base page is 4K) or 2M
     * (hugetlb) TCE pages; the data goes through the window's start address as the platform placed it.
     */
    @ContractTest
    void createdWindow_4kTces_bothDirections(Fixture f) throws Exception {
        createdWindow(f, 12);
    }

    @ContractTest
    void createdWindow_64kTces_bothDirections(Fixture f) throws Exception {
        createdWindow(f, 16);
    }

    @ContractTest
    void createdWindow_2mTces_bothDirections(Fixture f) throws Exception {
        createdWindow(f, 21);
    }

    private static void createdWindow(Fixture f, int pageShift) throws Exception {
        Vfio vfio = f.vfio();
        try (Container c = vfio.openContainer(); Group g = vfio.openGroup(0)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            DdwInfo ddw = c.tceInfo().ddw().orElseThrow(() -> new AssertionError("no DDW info from GET_INFO"));
            assertTrue((ddw.pgsizes() & (1L << pageShift)) != 0,
                    () -> "the platform offers no " + (1L << pageShift) + "-byte TCE pages: 0x" + Long.toHexString(ddw.pgsizes()));
            boolean huge = pageShift > 12;
            long windowSize = Math.max(16L << 20, 16L << pageShift); // 4096, 256, 16 TCEs
            try (Device d = g.openDevice(DEVICE0); EduDevice edu = EduDevice.open(d);
                    DmaBuffer buf = vfio.allocate(huge ? 2 << 20 : 128 << 10, huge)) {
                c.registerMemory(buf.segment());
                DmaWindow w = c.createWindow(pageShift, windowSize, 1);
                try {
                    assertNotEquals(0L, w.start(), "a second window while the default one exists");
                    if (f.emulated()) {
                        assertEquals(Fixture.DDW_START, w.start(), "QEMU's dma64_win_addr");
                    }
                    c.map(w.start(), buf.segment(), DmaDirection.BIDIRECTIONAL);
                    try {
                        roundTrip(f, DEVICE0, edu, buf.segment(), w.start(), 0, w.start() + DST, DST, pageShift);
                    } finally {
                        c.unmap(w.start(), buf.size());
                    }
                } finally {
                    c.removeWindow(w.start());
                    c.unregisterMemory(buf.segment());
                }
            }
        }
    }

    /** The negative control: after UNMAP the device cannot write there; the memory keeps its bytes. */
    @ContractTest
    void unmappedDestination_isNotWritten(Fixture f) throws Exception {
        inDefaultWindowV2(f, 0, DEVICE0, (c, edu, mem, iova) -> {
            byte[] p = pattern(3);
            fill(mem, 0, p);
            edu.dmaToDevice(iova, 0, LEN);
            // the positive half first: the same transfer reaches a mapped destination
            mem.asSlice(DST, LEN).fill((byte) 0);
            edu.dmaFromDevice(0, iova + DST, LEN);
            assertBytes(p, mem, DST, "mapped destination");
            // then unmap the destination pages and repeat
            c.unmap(iova + DST, 0x10000);
            mem.asSlice(DST, LEN).fill((byte) 0x5a);
            edu.dmaFromDevice(0, iova + DST, LEN);
            byte[] sentinel = new byte[LEN];
            java.util.Arrays.fill(sentinel, (byte) 0x5a);
            assertBytes(sentinel, mem, DST, "unmapped destination must be untouched");
            if (f.emulated()) {
                assertEquals(1, f.failedDmaTransfers(DEVICE0), "the emulated IOMMU refused the transfer");
            }
        });
    }

    /** The second IOMMU group (its own PHB) works independently, in its own container. */
    @ContractTest
    @EmulatorProfile(Profile.QEMU_PSERIES_2PHB)
    void secondGroup_ownContainer(Fixture f) throws Exception {
        Assumptions.assumeTrue(f.emulated() || Files.exists(Path.of("/dev/vfio/1")),
                "no group 1 (machine without the second PHB)");
        inDefaultWindowV2(f, 1, DEVICE1,
                (c, edu, mem, iova) -> roundTrip(f, DEVICE1, edu, mem, iova, 0, iova + DST, DST, 4));
    }
}
