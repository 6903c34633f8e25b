package io.jvfio.emul.device;

import java.lang.foreign.MemorySegment;

/**
 * The bus side of a PCI device's DMA: accesses through the PHB's IOMMU (the guest's TCE windows)
 * into the process memory. Accesses are split per IOMMU page; a page that does not translate (no
 * window, empty TCE, missing permission, or no live memory behind it) fails as an access to
 * unassigned memory fails in QEMU: a read yields zeros, a write is dropped.
 */
public interface DmaPort {
    /** Device reads memory at {@code busAddr} into {@code dst}; returns the number of bytes that failed. */
    long read(long busAddr, MemorySegment dst);

    /** Device writes {@code src} to memory at {@code busAddr}; returns the number of bytes that failed. */
    long write(long busAddr, MemorySegment src);
}
