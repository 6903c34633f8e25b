package io.jvfio.driver.nvme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's arithmetic and parsing, without a device: PRPs, statuses, IDENTIFY, CAP, sysfs discovery. */
class NvmeUnitsTest {
    static final long PAGE = 4096;
    static final long LIST_IOVA = 0x0800_0000_0000_3000L;

    @TempDir
    Path tmp;

    static long[] entries(MemorySegment list, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = list.get(Prp.LE_LONG, i * 8L);
        }
        return out;
    }

    @Test
    void prpWithinOnePageIsPrp1Only() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(512);
            assertEquals(new Prp.Entries(0x10200, 0), Prp.build(0x10200, 0xe00, PAGE, list, LIST_IOVA));
        }
    }

    @Test
    void prpOverTwoPagesPutsTheSecondPageInPrp2() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(512);
            assertEquals(new Prp.Entries(0x10000, 0x11000), Prp.build(0x10000, 2 * PAGE, PAGE, list, LIST_IOVA));
            // An offset into the first page: PRP2 is the next page's start.
            assertEquals(new Prp.Entries(0x10200, 0x11000), Prp.build(0x10200, PAGE, PAGE, list, LIST_IOVA));
        }
    }

    @Test
    void prpOverMoreThanTwoPagesUsesAListOfPageAlignedEntries() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(512);
            Prp.Entries e = Prp.build(0x10200, 3 * PAGE, PAGE, list, LIST_IOVA);
            assertEquals(new Prp.Entries(0x10200, LIST_IOVA), e);
            assertArrayEquals(new long[] {0x11000, 0x12000, 0x13000}, entries(list, 3));
            long bigIova = 0x0800_0000_0010_0000L;
            Prp.build(bigIova, 32 * PAGE, PAGE, list, LIST_IOVA);
            assertEquals(bigIova + PAGE, entries(list, 1)[0]);
            assertEquals(bigIova + 31 * PAGE, entries(list, 31)[30]);
        }
    }

    @Test
    void prpListMustFitItsSlotAndPage() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment small = a.allocate(16);
            assertThrows(IllegalArgumentException.class, () -> Prp.build(0x10000, 4 * PAGE, PAGE, small, LIST_IOVA));
            MemorySegment list = a.allocate(64);
            // A list that would run over the end of its memory page needs chaining: refused.
            assertThrows(IllegalArgumentException.class,
                    () -> Prp.build(0x10000, 4 * PAGE, PAGE, list, LIST_IOVA + PAGE - 16));
            assertThrows(IllegalArgumentException.class, () -> Prp.build(0x10001, PAGE, PAGE, list, LIST_IOVA));
            assertThrows(IllegalArgumentException.class, () -> Prp.build(0x10000, 0, PAGE, list, LIST_IOVA));
        }
    }

    @Test
    void prpSizingRoundTrips() {
        assertEquals(33 * 8, Prp.listBytes(128 << 10, PAGE));
        assertEquals(63 * PAGE, Prp.maxTransfer(512, PAGE));
        for (long t : new long[] {PAGE, 128 << 10, 1 << 20}) {
            assertTrue(Prp.maxTransfer(Prp.listBytes(t, PAGE), PAGE) >= t);
        }
    }

    @Test
    void statusesHaveTheSpecificationsNames() {
        // dword 3 as a controller writes it: status above the phase bit.
        NvmeStatus lba = NvmeStatus.ofDword3((0x80 << 17) | (1 << 16) | 7);
        assertEquals("LBA Out of Range", lba.name());
        assertEquals(NvmeStatus.LBA_OUT_OF_RANGE, lba.code());
        assertFalse(lba.success());
        assertEquals("Invalid Command Opcode", new NvmeStatus(0x01).name());
        NvmeStatus qid = new NvmeStatus((1 << 8) | 0x01 | (1 << 14));
        assertEquals("Invalid Queue Identifier", qid.name());
        assertTrue(qid.doNotRetry());
        assertEquals("Invalid Queue Identifier (SCT 0x1 SC 0x01, DNR)", qid.toString());
        assertEquals("Unrecovered Read Error", new NvmeStatus((2 << 8) | 0x81).name());
        assertEquals("Unknown Status", new NvmeStatus(0x7e).name());
        assertTrue(NvmeStatus.ofDword3(1 << 16).success());
    }

    @Test
    void exceptionsNameCommandQueueAndStatus() {
        NvmeException e = NvmeException.status("READ lba 9 blocks 1", 2, new NvmeStatus(0x80));
        assertEquals("NVMe READ lba 9 blocks 1 on queue 2: failed with status LBA Out of Range (SCT 0x0 SC 0x80)",
                e.getMessage());
        NvmeException admin = NvmeException.status("CREATE I/O SQ 1", 0, new NvmeStatus(0x100));
        assertTrue(admin.getMessage().contains("on queue 0 (admin)"), admin.getMessage());
    }

    static byte[] identifyController() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) 0x1b36).putShort(2, (short) 0x1af4);
        b.put(4, "jvfio-nvme          ".getBytes(StandardCharsets.US_ASCII));
        b.put(24, String.format("%-40s", "QEMU NVMe Ctrl").getBytes(StandardCharsets.US_ASCII));
        b.put(64, "7.2.0   ".getBytes(StandardCharsets.US_ASCII));
        b.put(77, (byte) 7).putShort(78, (short) 0).putInt(80, 0x00010400).putInt(516, 256).put(525, (byte) 1);
        return b.array();
    }

    @Test
    void identifyControllerParses() {
        IdentifyController c = IdentifyController.parse(identifyController());
        assertEquals(0x1b36, c.vendorId());
        assertEquals("jvfio-nvme", c.serial());
        assertEquals("QEMU NVMe Ctrl", c.model());
        assertEquals("7.2.0", c.firmware());
        assertEquals("1.4.0", c.versionString());
        assertEquals(256, c.namespaces());
        assertTrue(c.volatileWriteCache());
        assertEquals(512 << 10, c.maxTransferBytes(PAGE));
        assertThrows(IllegalArgumentException.class, () -> IdentifyController.parse(new byte[100]));
    }

    @Test
    void identifyNamespaceUsesTheFormatInUse() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 1L << 20).putLong(8, 1L << 20).putLong(16, 5);
        b.put(26, (byte) 1);
        b.putInt(128, 9 << 16);          // format 0: 512 bytes
        b.putInt(132, (12 << 16) | 8);   // format 1: 4096 bytes + 8 metadata
        IdentifyNamespace ns = IdentifyNamespace.parse(1, b.array());
        assertEquals(1, ns.lbaFormat());
        assertEquals(4096, ns.blockSize());
        assertEquals(8, ns.metadataSize());
        assertEquals(1L << 32, ns.bytes());
        assertTrue(ns.active());
        assertFalse(IdentifyNamespace.parse(2, new byte[4096]).active());
    }

    @Test
    void capDecodes() {
        // QEMU 7.2's nvme: MQES 0x7ff, CQR, TO 0x0f, DSTRD 0, CSS NVM, MPSMIN 0 (4K), MPSMAX 4 (64K).
        long raw = 0x7ffL | (1L << 16) | (0x0fL << 24) | (1L << 37) | (4L << 52);
        NvmeRegisters.Cap cap = new NvmeRegisters.Cap(raw);
        assertEquals(0x800, cap.maxQueueEntries());
        assertTrue(cap.contiguousQueuesRequired());
        assertEquals(7500, cap.timeoutMillis());
        assertEquals(0, cap.doorbellStride());
        assertTrue(cap.nvmCommandSet());
        assertEquals(4096, cap.minPageSize());
        assertEquals(64 << 10, cap.maxPageSize());
        assertEquals(0x1000, NvmeRegisters.doorbell(0, false, 0));
        assertEquals(0x100c, NvmeRegisters.doorbell(1, true, 0));
        assertEquals(0x1000 + 3 * 16, NvmeRegisters.doorbell(1, true, 2));
    }

    @Test
    void sysfsDiscoveryFindsNvmeControllersBoundToVfioPci() throws IOException {
        Path devices = tmp.resolve("devices");
        device(devices, "0000:00:00.0", "0x00ff00", "vfio-pci", 0);   // edu
        device(devices, "0001:00:00.0", "0x010802", "vfio-pci", 1);   // nvme on vfio-pci
        device(devices, "0002:00:00.0", "0x010802", "nvme", 2);       // nvme on the kernel's driver
        assertEquals(List.of(new NvmeHost.Location(1, "0001:00:00.0")), NvmeHost.kernelControllers(devices));
        assertEquals(List.of(), NvmeHost.kernelControllers(tmp.resolve("absent")));
    }

    static void device(Path devices, String bdf, String cls, String driver, int group) throws IOException {
        Path d = Files.createDirectories(devices.resolve(bdf));
        Files.writeString(d.resolve("class"), cls + "\n");
        Files.createDirectories(devices.resolveSibling("drivers").resolve(driver));
        Files.createDirectories(devices.resolveSibling("groups").resolve(Integer.toString(group)));
        Files.createSymbolicLink(d.resolve("driver"), Path.of("../../drivers/" + driver));
        Files.createSymbolicLink(d.resolve("iommu_group"), Path.of("../../groups/" + group));
    }
}
