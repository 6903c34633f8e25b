/**
 * Hypervisor layer, QEMU 7.2's sPAPR PCI host bridge (hw/ppc/spapr_pci.c, spapr_rtas_ddw.c,
 * spapr_iommu.c): DMA windows per LIOBN, the DDW RTAS calls, H_GET_TCE/H_PUT_TCE and the DMA
 * translation devices go through. {@code SpaprTceTable} is the one place that turns bus addresses
 * and TCE numbers into table indexes.
 */
package io.jvfio.emul.papr;
