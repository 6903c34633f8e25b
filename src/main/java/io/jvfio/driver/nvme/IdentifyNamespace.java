package io.jvfio.driver.nvme;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of the IDENTIFY namespace data structure (CNS 00h, NVMe 1.4 figure 245) a driver needs,
 * for the LBA format in use (FLBAS).
 *
 * @param nsid the namespace id
 * @param blocks namespace size in logical blocks (NSZE)
 * @param capacity blocks that may be allocated (NCAP)
 * @param utilization blocks allocated (NUSE)
 * @param lbaFormat the index of the LBA format in use
 * @param blockSize the logical block size in bytes (2^LBADS)
 * @param metadataSize metadata bytes per block (MS); this driver needs 0
 */
public record IdentifyNamespace(int nsid, long blocks, long capacity, long utilization, int lbaFormat, int blockSize,
        int metadataSize) {

    /** Parses the 4096 bytes the controller returned for namespace {@code nsid}. */
    public static IdentifyNamespace parse(int nsid, byte[] data) {
        if (data.length < IdentifyController.SIZE) {
            throw new IllegalArgumentException("IDENTIFY namespace data is 4096 bytes, got " + data.length);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int format = data[26] & 0x0f;
        int lbaf = b.getInt(128 + 4 * format);
        int lbads = (lbaf >>> 16) & 0xff;
        return new IdentifyNamespace(nsid, b.getLong(0), b.getLong(8), b.getLong(16), format,
                lbads == 0 ? 0 : 1 << lbads, lbaf & 0xffff);
    }

    /** Whether the namespace exists and is attached (an inactive one identifies as all zeroes). */
    public boolean active() {
        return blocks != 0 && blockSize != 0;
    }

    /** The namespace's size in bytes. */
    public long bytes() {
        return blocks * blockSize;
    }
}
