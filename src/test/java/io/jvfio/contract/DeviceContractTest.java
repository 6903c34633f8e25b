package io.jvfio.contract;

import static io.jvfio.abi.VfioUapi.*;
import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_device_info;
import io.jvfio.abi.vfio_irq_info;
import io.jvfio.abi.vfio_region_info;
import io.jvfio.backend.ErrnoException;
import io.jvfio.backend.Mmio;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Tag;

/**
 * The device fd of the edu device (vfio-pci): info, regions, irqs, config space, BAR mmap, and the
 * eventfds used for interrupts. Values from the observed guest where it has them.
 */
@Tag("contract")
class DeviceContractTest {
    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong NATIVE64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long CONFIG = VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);

    // ---- DEVICE_GET_INFO -----------------------------------------------------------------------------

    /** Observed: flags=0x2 (PCI, no RESET) num_regions=9 num_irqs=5. */
    @ContractTest
    void deviceGetInfo_observedValues(Fixture f) {
        int d = f.v2Device();
        MemorySegment info = f.deviceInfo();
        assertOk(f.b.deviceGetInfo(d, info), "deviceGetInfo");
        assertHex(VFIO_DEVICE_FLAGS_PCI, vfio_device_info.flags.get(info), "device flags");
        assertRet(VFIO_PCI_NUM_REGIONS, vfio_device_info.num_regions.get(info), "num_regions");
        assertRet(VFIO_PCI_NUM_IRQS, vfio_device_info.num_irqs.get(info), "num_irqs");
    }

    /** minsz is 16 (up to num_irqs): argsz 16 without cap_offset is enough. */
    @ContractTest
    void deviceGetInfo_argsz16_ok(Fixture f) {
        int d = f.v2Device();
        MemorySegment info = Fixture.argsz(f.deviceInfo(), 16);
        assertOk(f.b.deviceGetInfo(d, info), "deviceGetInfo(argsz=16)");
        assertRet(VFIO_PCI_NUM_REGIONS, vfio_device_info.num_regions.get(info), "num_regions");
    }

    @ContractTest
    void deviceGetInfo_argszBelow16_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetInfo(d, Fixture.argsz(f.deviceInfo(), 15)), "deviceGetInfo(argsz=15)");
    }

    @ContractTest
    void deviceGetInfo_nullPointer_EFAULT(Fixture f) {
        int d = f.v2Device();
        assertErrno(EFAULT, f.b.deviceGetInfo(d, MemorySegment.NULL), "deviceGetInfo(NULL)");
    }

    @ContractTest
    void deviceIoctl_closedDeviceFd_EBADF(Fixture f) {
        int d = f.v2Device();
        assertOk(f.closeFd(d), "close(device)");
        assertErrno(EBADF, f.b.deviceGetInfo(d, f.deviceInfo()), "deviceGetInfo(closed device fd)");
    }

    // ---- DEVICE_GET_REGION_INFO ------------------------------------------------------------------------

    private static MemorySegment region(Fixture f, int d, int index) {
        MemorySegment r = f.regionInfo(index);
        assertOk(f.b.deviceGetRegionInfo(d, r), "deviceGetRegionInfo(index " + index + ")");
        return r;
    }

    /** Observed: BAR0 size=0x100000 offset=0x0 flags=0x7 (READ|WRITE|MMAP). */
    @ContractTest
    void deviceGetRegionInfo_bar0(Fixture f) {
        int d = f.v2Device();
        MemorySegment r = region(f, d, VFIO_PCI_BAR0_REGION_INDEX);
        assertHex(0x100000, vfio_region_info.size.get(r), "BAR0 size");
        assertHex(0, vfio_region_info.offset.get(r), "BAR0 offset");
        assertHex(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP,
                vfio_region_info.flags.get(r), "BAR0 flags");
    }

    /** Observed: CONFIG size=0x100 offset=0x70000000000 flags=0x3. */
    @ContractTest
    void deviceGetRegionInfo_config(Fixture f) {
        int d = f.v2Device();
        MemorySegment r = region(f, d, VFIO_PCI_CONFIG_REGION_INDEX);
        assertHex(0x100, vfio_region_info.size.get(r), "CONFIG size");
        assertHex(0x70000000000L, vfio_region_info.offset.get(r), "CONFIG offset");
        assertHex(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE, vfio_region_info.flags.get(r), "CONFIG flags");
    }

    /** edu has only BAR0: BAR1..5 report size 0, flags 0, at their index << 40. */
    @ContractTest
    void deviceGetRegionInfo_emptyBars(Fixture f) {
        int d = f.v2Device();
        for (int i = 1; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
            MemorySegment r = region(f, d, i);
            assertHex(0, vfio_region_info.size.get(r), "BAR" + i + " size");
            assertHex(0, vfio_region_info.flags.get(r), "BAR" + i + " flags");
            assertHex(VFIO_PCI_INDEX_TO_OFFSET(i), vfio_region_info.offset.get(r), "BAR" + i + " offset");
        }
    }

    /** No option ROM on edu: the ROM region exists with size 0 and no flags. */
    @ContractTest
    @Tag("to-check")
    void deviceGetRegionInfo_romEmpty(Fixture f) {
        int d = f.v2Device();
        MemorySegment r = region(f, d, VFIO_PCI_ROM_REGION_INDEX);
        assertHex(0, vfio_region_info.size.get(r), "ROM size");
        assertHex(0, vfio_region_info.flags.get(r), "ROM flags");
    }

    @ContractTest
    void deviceGetRegionInfo_argszBelow32_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetRegionInfo(d, Fixture.argsz(f.regionInfo(0), 31)), "deviceGetRegionInfo(argsz=31)");
    }

    @ContractTest
    void deviceGetRegionInfo_indexBeyondRegions_EINVAL(Fixture f) {
        int d = f.v2Device();
        for (int i : new int[] {VFIO_PCI_NUM_REGIONS, 100, -1}) {
            assertErrno(EINVAL, f.b.deviceGetRegionInfo(d, f.regionInfo(i)), "deviceGetRegionInfo(index " + i + ")");
        }
    }

    /** The VGA region exists only for VGA devices. */
    @ContractTest
    void deviceGetRegionInfo_vgaWithoutVga_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetRegionInfo(d, f.regionInfo(VFIO_PCI_VGA_REGION_INDEX)),
                "deviceGetRegionInfo(VGA index 8)");
    }

    // ---- DEVICE_GET_IRQ_INFO ---------------------------------------------------------------------------

    /**
     * edu: INTx pin A (count 1, EVENTFD|MASKABLE|AUTOMASKED), one MSI vector, no MSI-X (count 0), the
     * request irq (count 1); every index but INTx is EVENTFD|NORESIZE (MSI-X only drops NORESIZE
     * when it can allocate vectors dynamically, and edu has no MSI-X).
     */
    @ContractTest
    @Tag("to-check")
    void deviceGetIrqInfo_values(Fixture f) {
        int d = f.v2Device();
        int[][] expected = {
            {VFIO_PCI_INTX_IRQ_INDEX, 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED},
            {VFIO_PCI_MSI_IRQ_INDEX, 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE},
            {VFIO_PCI_MSIX_IRQ_INDEX, 0, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE},
            {VFIO_PCI_REQ_IRQ_INDEX, 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE},
        };
        for (int[] e : expected) {
            MemorySegment info = f.irqInfo(e[0]);
            assertOk(f.b.deviceGetIrqInfo(d, info), "deviceGetIrqInfo(index " + e[0] + ")");
            assertRet(e[1], vfio_irq_info.count.get(info), "irq index " + e[0] + " count");
            assertHex(e[2], vfio_irq_info.flags.get(info), "irq index " + e[0] + " flags");
        }
    }

    /** The error irq exists only for PCI Express devices; edu is plain PCI (config space 0x100). */
    @ContractTest
    @Tag("to-check")
    void deviceGetIrqInfo_errIndexOnPlainPci_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetIrqInfo(d, f.irqInfo(VFIO_PCI_ERR_IRQ_INDEX)), "deviceGetIrqInfo(ERR index 3)");
    }

    @ContractTest
    void deviceGetIrqInfo_indexBeyond_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetIrqInfo(d, f.irqInfo(VFIO_PCI_NUM_IRQS)), "deviceGetIrqInfo(index 5)");
    }

    @ContractTest
    void deviceGetIrqInfo_argszBelow16_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceGetIrqInfo(d, Fixture.argsz(f.irqInfo(0), 15)), "deviceGetIrqInfo(argsz=15)");
    }

    // ---- DEVICE_SET_IRQS ------------------------------------------------------------------------------

    private static final int TRIGGER_NONE = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    private static final int TRIGGER_EVENTFD = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;

    @ContractTest
    void deviceSetIrqs_argszBelow20_EINVAL(Fixture f) {
        int d = f.v2Device();
        MemorySegment s = Fixture.argsz(f.irqSet(TRIGGER_NONE, VFIO_PCI_INTX_IRQ_INDEX, 0, 0), 19);
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, s), "deviceSetIrqs(argsz=19)");
    }

    @ContractTest
    void deviceSetIrqs_indexBeyond_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_NONE, VFIO_PCI_NUM_IRQS, 0, 0)), "deviceSetIrqs(index 5)");
    }

    @ContractTest
    void deviceSetIrqs_unknownFlags_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_NONE | (1 << 6), VFIO_PCI_INTX_IRQ_INDEX, 0, 0)),
                "deviceSetIrqs(flags with bit 6)");
    }

    /** INTx has one vector: start 1 is out of range. */
    @ContractTest
    void deviceSetIrqs_startBeyondCount_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_NONE, VFIO_PCI_INTX_IRQ_INDEX, 1, 1)),
                "deviceSetIrqs(INTx, start 1, count 1)");
    }

    @ContractTest
    void deviceSetIrqs_twoDataTypes_EINVAL(Fixture f) {
        int d = f.v2Device();
        int flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, f.irqSet(flags, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, 0)),
                "deviceSetIrqs(DATA_NONE|DATA_BOOL)");
    }

    /** DATA_EVENTFD with count 1 needs 4 bytes of data after the header: argsz 20 is short. */
    @ContractTest
    void deviceSetIrqs_eventfdDataMissing_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_EVENTFD, VFIO_PCI_INTX_IRQ_INDEX, 0, 1)),
                "deviceSetIrqs(DATA_EVENTFD, count 1, no data)");
    }

    /** INTx to an eventfd, then off again (DATA_NONE, count 0). */
    @ContractTest
    @Tag("to-check")
    void deviceSetIrqs_intxEventfd_thenDisable_ok(Fixture f) {
        int d = f.v2Device();
        int e = f.eventfd();
        assertOk(f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_EVENTFD, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, e)),
                "deviceSetIrqs(INTx trigger -> eventfd)");
        assertOk(f.b.deviceSetIrqs(d, f.irqSet(TRIGGER_NONE, VFIO_PCI_INTX_IRQ_INDEX, 0, 0)),
                "deviceSetIrqs(INTx trigger, DATA_NONE, count 0: disable)");
    }

    // ---- DEVICE_RESET ----------------------------------------------------------------------------------

    /** GET_INFO shows no RESET flag (observed): VFIO_DEVICE_RESET is refused. */
    @ContractTest
    void deviceReset_noResetMethod_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.deviceReset(d), "deviceReset (flags have no VFIO_DEVICE_FLAGS_RESET)");
    }

    // ---- config space / region reads ------------------------------------------------------------------

    private static int config16(Fixture f, int d, long off) {
        MemorySegment v = f.bytes(2);
        assertRet(2, f.b.pread(d, v, CONFIG + off), "pread(config + 0x" + Long.toHexString(off) + ", 2)");
        return Short.toUnsignedInt(v.get(LE16, 0));
    }

    /**
     * Observed: vendor 0x1234, device 0x11e8, and the command register as the firmware left it right
     * after the device is opened: 0x0002 (MEMORY) under VOF, the project's guest; 0x0102 under SLOF
     * (it also sets SERR), as in the recorded trace.
     */
    @ContractTest
    void pread_configIds(Fixture f) {
        int d = f.v2Device();
        assertHex(0x1234, config16(f, d, 0), "config vendor");
        assertHex(0x11e8, config16(f, d, 2), "config device");
        assertHex(f.initialPciCommand(), config16(f, d, 4), "config command");
    }

    /** The SLOF profile's command register is the recorded trace's 0x0102. */
    @ContractTest
    @EmulatorOnly("the firmware is the guest's; the kernel variant of pread_configIds checks it")
    @EmulatorProfile(io.jvfio.emul.Profile.QEMU_PSERIES_SLOF)
    void pread_configCommand_slofSetsSerr(Fixture f) {
        assertHex(0x0102, config16(f, f.v2Device(), 4), "config command under SLOF");
    }

    /** Observed: command |= MEMORY|MASTER reads back 0x0006 under VOF, 0x0106 under SLOF. */
    @ContractTest
    void pwrite_configCommand_setsMemoryAndMaster(Fixture f) {
        int d = f.v2Device();
        int cmd = config16(f, d, 4);
        MemorySegment v = f.bytes(2);
        v.set(LE16, 0, (short) (cmd | 0x6));
        assertRet(2, f.b.pwrite(d, v, CONFIG + 4), "pwrite(config PCI_COMMAND |= MEM|BUSMASTER)");
        assertHex(f.initialPciCommand() | 0x6, config16(f, d, 4), "config command after the write");
        v.set(LE16, 0, (short) cmd);
        assertRet(2, f.b.pwrite(d, v, CONFIG + 4), "pwrite(config PCI_COMMAND restored)");
    }

    /** An offset whose region index is beyond the device's regions. */
    @ContractTest
    void pread_regionIndexBeyond_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertErrno(EINVAL, f.b.pread(d, f.bytes(4), VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_NUM_REGIONS)),
                "pread(device, region index 9)");
    }

    // ---- BAR mmap ------------------------------------------------------------------------------------------

    /** Observed: the edu ID register reads 0xed000001 raw on the LE guest (the BE device's 0x010000ed). */
    @ContractTest
    void mmapRegion_bar0_readsEduId(Fixture f) throws ErrnoException {
        int d = f.v2Device();
        Mmio bar = f.mmap(d, 0, 0x100000);
        assertHex(0x100000, bar.size(), "BAR0 mapping size");
        assertHex(0xed000001L, Integer.toUnsignedLong(bar.read32(0)), "edu ID register (raw)");
    }

    private static void assertMmapErrno(int expected, Fixture f, int d, long offset, long length, String what) {
        try {
            f.mmap(d, offset, length);
        } catch (ErrnoException e) {
            assertErrno(expected, -e.errno(), what);
            return;
        }
        assertErrno(expected, 0, what);
    }

    /** Only BARs can be mapped; the config region is read/written with pread/pwrite. */
    @ContractTest
    void mmapRegion_configRegion_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertMmapErrno(EINVAL, f, d, CONFIG, 4096, "mmap(config region)");
    }

    /** BAR1 is empty: it has no mmap support. */
    @ContractTest
    void mmapRegion_emptyBar_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertMmapErrno(EINVAL, f, d, VFIO_PCI_INDEX_TO_OFFSET(1), 4096, "mmap(BAR1)");
    }

    @ContractTest
    void mmapRegion_beyondBarEnd_EINVAL(Fixture f) {
        int d = f.v2Device();
        assertMmapErrno(EINVAL, f, d, 0, 0x200000, "mmap(BAR0, 2 MiB of a 1 MiB BAR)");
        assertMmapErrno(EINVAL, f, d, 0x100000, 4096, "mmap(BAR0 + 1 MiB)");
    }

    @ContractTest
    void ioctl_otherArchNumber_onDevice_ENOTTY(Fixture f) {
        int d = f.v2Device();
        int req = VfioIoctl.VFIO_DEVICE_GET_INFO.request(f.otherArch());
        assertErrno(ENOTTY, f.b.ioctl(d, req, f.deviceInfo()),
                "ioctl(device, " + f.otherArch().id() + " VFIO_DEVICE_GET_INFO = 0x" + Integer.toHexString(req) + ")");
        // VFIO_BASE + 12/13 are VFIO_DEVICE_GET_PCI_HOT_RESET_INFO/PCI_HOT_RESET on a device fd, 16 is
        // IOEVENTFD, 17 FEATURE, 18 BIND_IOMMUFD: the EEH number (VFIO_BASE + 21) means nothing there.
        assertErrno(ENOTTY, f.b.ioctl(d, VfioIoctl.VFIO_EEH_PE_OP.request(f.arch()), f.bytes(64)),
                "ioctl(device, VFIO_BASE + 21)");
    }

    // ---- eventfd ---------------------------------------------------------------------------------------

    @ContractTest
    void eventfd_counterRoundTrip(Fixture f) {
        int e = f.eventfd();
        MemorySegment v = f.bytes(8);
        v.set(NATIVE64, 0, 3);
        assertRet(8, f.b.write(e, v), "write(eventfd, 3)");
        v.set(NATIVE64, 0, 4);
        assertRet(8, f.b.write(e, v), "write(eventfd, 4)");
        v.set(NATIVE64, 0, 0);
        assertRet(8, f.b.read(e, v), "read(eventfd)");
        assertRet(7, v.get(NATIVE64, 0), "eventfd counter");
    }

    @ContractTest
    void eventfd_shortBuffer_EINVAL(Fixture f) {
        int e = f.eventfd();
        assertErrno(EINVAL, f.b.write(e, f.bytes(4)), "write(eventfd, 4 bytes)");
        assertErrno(EINVAL, f.b.read(e, f.bytes(4)), "read(eventfd, 4 bytes)");
    }

    @ContractTest
    void read_badFd_EBADF(Fixture f) {
        assertErrno(EBADF, f.b.read(-1, f.bytes(8)), "read(-1)");
        assertErrno(EBADF, f.b.pread(-1, f.bytes(8), 0), "pread(-1)");
    }
}
