package io.jvfio.contract;

import static io.jvfio.backend.Errno.*;
import static io.jvfio.contract.ErrnoAssert.*;
import static io.jvfio.contract.Fixture.*;

import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import org.junit.jupiter.api.Tag;

/** VFIO_IOMMU_SPAPR_TCE_GET_INFO: the observed values, argsz handling, errors. */
@Tag("contract")
class TceInfoContractTest {
    /** dma32_window_start 0 and dma32_window_size as the kernel writes them (two little-endian u32). */
    static final String DMA32_RAW = "00000000" + le32(DMA32_SIZE);
    /** Observed raw bytes of GET_INFO(argsz=32) on a v2 container. */
    static final String V2_RAW = "2000000001000000" + DMA32_RAW + "0010210100000000" + "0200000001000000";
    /** Observed raw bytes on a v1 container. */
    static final String V1_RAW = "2000000000000000" + DMA32_RAW + "0000000000000000" + "0000000000000000";

    private static String le32(long v) {
        return HexFormat.of().toHexDigits(Integer.reverseBytes((int) v));
    }

    static void assertV2Values(MemorySegment info, String what) {
        assertHex(1, vfio_iommu_spapr_tce_info.flags.get(info), what + " flags (DDW)");
        assertHex(0, vfio_iommu_spapr_tce_info.dma32_window_start.get(info), what + " dma32_window_start");
        assertHex(DMA32_SIZE, vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(info), what + " dma32_window_size");
        assertHex(0x1211000, vfio_iommu_spapr_tce_info.ddw_pgsizes.get(info), what + " ddw.pgsizes");
        assertRet(2, vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.get(info), what + " ddw.max_dynamic_windows_supported");
        assertRet(1, vfio_iommu_spapr_tce_info.ddw_levels.get(info), what + " ddw.levels");
    }

    static String hex(MemorySegment s, long from, long to) {
        return HexFormat.of().formatHex(s.asSlice(from, to - from).toArray(ValueLayout.JAVA_BYTE));
    }

    /** Observed: flags 0x1, dma32 0x0/0x40000000, pgsizes 0x1211000 (4K 64K 2M 16M), 2 windows, 1 level. */
    @ContractTest
    void getInfo_v2_observedValues(Fixture f) {
        int c = f.v2();
        MemorySegment info = f.tceInfo();
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo(v2)");
        assertV2Values(info, "GET_INFO(v2)");
        assertText(V2_RAW, hex(info, 0, 32), "GET_INFO(v2) raw bytes");
    }

    /** Observed: a v1 container never reports DDW (flags 0, ddw all zero), same 32-bit window. */
    @ContractTest
    void getInfo_v1_noDdw(Fixture f) {
        int c = f.v1();
        MemorySegment info = f.tceInfo();
        info.asSlice(16).fill((byte) 0xff);
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo(v1)");
        assertText(V1_RAW, hex(info, 0, 32), "GET_INFO(v1) raw bytes (ddw zeroed)");
    }

    /** argsz 16..31: only the first 16 bytes are written back, ddw is left alone. */
    @ContractTest
    void getInfo_argsz16_leavesDdwUntouched(Fixture f) {
        int c = f.v2();
        MemorySegment info = f.tceInfo();
        info.asSlice(16).fill((byte) 0xff);
        Fixture.argsz(info, 16);
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo(argsz=16)");
        assertHex(1, vfio_iommu_spapr_tce_info.flags.get(info), "flags");
        assertHex(DMA32_SIZE, vfio_iommu_spapr_tce_info.dma32_window_size.getUnsigned(info), "dma32_window_size");
        assertText("ff".repeat(16), hex(info, 16, 32), "ddw bytes (not written for argsz 16)");
    }

    /** Observed (argsz 56, bytes preset 0xff): 32 bytes written, the tail untouched. */
    @ContractTest
    void getInfo_argsz56_leavesTail(Fixture f) {
        int c = f.v2();
        MemorySegment info = f.bytes(64);
        info.fill((byte) 0xff);
        Fixture.argsz(info, 56);
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo(argsz=56)");
        assertV2Values(info, "GET_INFO(argsz=56)");
        assertText("ff".repeat(32), hex(info, 32, 64), "bytes 32..63 (beyond the struct)");
    }

    @ContractTest
    void getInfo_argszBelow16_EINVAL(Fixture f) {
        int c = f.v2();
        assertErrno(EINVAL, f.b.spaprTceGetInfo(c, Fixture.argsz(f.tceInfo(), 15)), "spaprTceGetInfo(argsz=15)");
        assertErrno(EINVAL, f.b.spaprTceGetInfo(c, Fixture.argsz(f.tceInfo(), 0)), "spaprTceGetInfo(argsz=0)");
    }

    @ContractTest
    void getInfo_nullPointer_EFAULT(Fixture f) {
        int c = f.v2();
        assertErrno(EFAULT, f.b.spaprTceGetInfo(c, MemorySegment.NULL), "spaprTceGetInfo(NULL)");
    }

    /** GET_INFO describes the platform, not the container's windows: unchanged after the default window is gone. */
    @ContractTest
    void getInfo_afterRemovingDefaultWindow_unchanged(Fixture f) {
        int c = f.v2();
        assertOk(f.remove(c, 0), "spaprTceRemove(0)");
        f.createOk(c, 16, SMALL_WINDOW, 1);
        MemorySegment info = f.tceInfo();
        assertOk(f.b.spaprTceGetInfo(c, info), "spaprTceGetInfo after REMOVE(0) + CREATE");
        assertV2Values(info, "GET_INFO");
    }
}
