package io.jvfio.emul.device;

import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.papr.SpaprPhb;
import java.lang.foreign.MemorySegment;

/**
 * DMA of a device behind an sPAPR PHB: bus address, through the PHB's TCE windows, to a physical
 * address, which the emulator keeps equal to the real address of live process memory. Split per
 * IOMMU page as QEMU's address space translation splits it.
 */
public final class PhbDma implements DmaPort {
    private final SpaprPhb phb;
    private final AddressSpace as;
    private final long[] page = new long[1];

    public PhbDma(SpaprPhb phb, AddressSpace as) {
        this.phb = phb;
        this.as = as;
    }

    @Override
    public long read(long busAddr, MemorySegment dst) {
        return access(busAddr, dst, false);
    }

    @Override
    public long write(long busAddr, MemorySegment src) {
        return access(busAddr, src, true);
    }

    private long access(long busAddr, MemorySegment data, boolean write) {
        long len = data.byteSize();
        long done = 0;
        long failed = 0;
        while (done < len) {
            long addr = busAddr + done;
            long hpa = phb.translate(addr, write, page);
            long pageSize = page[0];
            long chunk = Math.min(len - done, pageSize - (addr & (pageSize - 1)));
            MemorySegment mem = hpa == -1 ? null : as.phys(hpa, chunk);
            MemorySegment part = data.asSlice(done, chunk);
            if (mem == null) {
                failed += chunk;
                if (!write) {
                    part.fill((byte) 0); // unassigned_mem_read: 0
                }
            } else if (write) {
                mem.copyFrom(part);
            } else {
                part.copyFrom(mem);
            }
            done += chunk;
        }
        return failed;
    }
}
