package io.jvfio.emul.device.nvme;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The Identify Controller data structure (NvmeIdCtrl) as nvme_init_ctrl() of QEMU 7.2.22 fills it
 * for a controller without subsystem, CMB or PMR. Capabilities the model does not implement are
 * not advertised: OACS (namespace management, format, doorbell buffer), ONCS (write zeroes,
 * timestamp, DSM, compare, copy), OCFS, SGLS and LPA read 0 where QEMU sets them.
 */
final class NvmeIdentify {
    static final String MODEL = "QEMU NVMe Ctrl";
    static final String FIRMWARE = "7.2.22"; // QEMU_VERSION of Debian's qemu-system-ppc64
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private NvmeIdentify() { }

    static byte[] controller(String serial) {
        MemorySegment id = MemorySegment.ofArray(new byte[NvmeSpec.IDENTIFY_DATA_SIZE]);
        id.set(U16, 0, (short) NvmePciIdentity.VENDOR_ID); // vid
        id.set(U16, 2, (short) NvmePciIdentity.SUBSYSTEM_VENDOR_ID); // ssvid
        pad(id, 4, 20, serial); // sn
        pad(id, 24, 40, MODEL); // mn
        pad(id, 64, 8, FIRMWARE); // fr
        id.set(ValueLayout.JAVA_BYTE, 72, (byte) 6); // rab
        id.set(ValueLayout.JAVA_BYTE, 74, (byte) 0x54); // ieee 00-54-52
        id.set(ValueLayout.JAVA_BYTE, 75, (byte) 0x52);
        id.set(ValueLayout.JAVA_BYTE, 77, (byte) NvmeCtrl.MDTS); // mdts
        NvmeCmd.putU32(id, 80, NvmeSpec.SPEC_VER); // ver
        NvmeCmd.putU32(id, 92, 1 << 8); // oaes: namespace attribute notices
        NvmeCmd.putU32(id, 96, 1 << 15); // ctratt: extended LBA formats
        id.set(ValueLayout.JAVA_BYTE, 111, (byte) 1); // cntrltype: I/O controller
        id.set(ValueLayout.JAVA_BYTE, 258, (byte) 3); // acl
        id.set(ValueLayout.JAVA_BYTE, 259, (byte) NvmeAer.AERL); // aerl
        id.set(ValueLayout.JAVA_BYTE, 260, (byte) ((1 << 1) | 1)); // frmw: one slot, slot 1 read-only
        id.set(U16, 266, (short) 0x157); // wctemp
        id.set(U16, 268, (short) 0x175); // cctemp
        id.set(ValueLayout.JAVA_BYTE, 512, (byte) 0x66); // sqes: 64 bytes, min = max
        id.set(ValueLayout.JAVA_BYTE, 513, (byte) 0x44); // cqes: 16 bytes
        NvmeCmd.putU32(id, 516, NvmeSpec.MAX_NAMESPACES); // nn
        id.set(ValueLayout.JAVA_BYTE, 525, (byte) (0x3 << 1 | 1)); // vwc: present, flush broadcast
        pad(id, 768, 256, "nqn.2019-08.org.qemu:" + serial, (byte) 0); // subnqn
        id.set(U16, 2048, (short) 0x9c4); // psd[0].mp
        NvmeCmd.putU32(id, 2048 + 4, 0x10); // enlat
        NvmeCmd.putU32(id, 2048 + 8, 0x4); // exlat
        return id.toArray(ValueLayout.JAVA_BYTE);
    }

    private static void pad(MemorySegment id, long off, int len, String s) {
        pad(id, off, len, s, (byte) ' ');
    }

    /** strpadcpy / snprintf into a fixed field. */
    private static void pad(MemorySegment id, long off, int len, String s, byte fill) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < len; i++) {
            id.set(ValueLayout.JAVA_BYTE, off + i, i < b.length ? b[i] : fill);
        }
        if (fill == 0) {
            id.set(ValueLayout.JAVA_BYTE, off + len - 1, (byte) 0);
        }
    }
}
