package io.jvfio.driver.nvme;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The fields of the IDENTIFY controller data structure (CNS 01h, NVMe 1.4 figure 247) a driver needs.
 *
 * @param vendorId PCI vendor id (VID)
 * @param subsystemVendorId PCI subsystem vendor id (SSVID)
 * @param serial serial number (SN), trailing spaces removed
 * @param model model number (MN), trailing spaces removed
 * @param firmware firmware revision (FR), trailing spaces removed
 * @param mdts maximum data transfer size as a power of two of CAP.MPSMIN pages; 0 means no limit
 * @param controllerId CNTLID
 * @param version VER, e.g. 0x00010400 for 1.4
 * @param namespaces NN, the largest namespace id
 * @param oncs optional NVM commands supported
 * @param volatileWriteCache VWC bit 0: a volatile write cache is present (FLUSH matters)
 */
public record IdentifyController(int vendorId, int subsystemVendorId, String serial, String model, String firmware,
        int mdts, int controllerId, int version, long namespaces, int oncs, boolean volatileWriteCache) {

    /** The size of the data structure. */
    public static final int SIZE = 4096;

    /** Parses the 4096 bytes the controller returned. */
    public static IdentifyController parse(byte[] data) {
        if (data.length < SIZE) {
            throw new IllegalArgumentException("IDENTIFY controller data is 4096 bytes, got " + data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new IdentifyController(Short.toUnsignedInt(b.getShort(0)), Short.toUnsignedInt(b.getShort(2)),
                ascii(data, 4, 20), ascii(data, 24, 40), ascii(data, 64, 8), Byte.toUnsignedInt(data[77]),
                Short.toUnsignedInt(b.getShort(78)), b.getInt(80), Integer.toUnsignedLong(b.getInt(516)),
                Short.toUnsignedInt(b.getShort(520)), (data[525] & 1) != 0);
    }

    static String ascii(byte[] data, int offset, int length) {
        return new String(data, offset, length, StandardCharsets.US_ASCII).replace('\0', ' ').strip();
    }

    /** The largest transfer in bytes for the given CAP.MPSMIN page size, or {@link Long#MAX_VALUE}. */
    public long maxTransferBytes(long minPageSize) {
        return mdts == 0 ? Long.MAX_VALUE : minPageSize << mdts;
    }

    /** VER as {@code major.minor.tertiary}. */
    public String versionString() {
        return (version >>> 16) + "." + ((version >>> 8) & 0xff) + "." + (version & 0xff);
    }
}
