/**
 * Two layers meet here. Guest kernel: vfio-pci (drivers/vfio/pci of Linux 6.12), split as the
 * kernel splits it: {@code VfioPciDevice} (vfio_pci_core.c), {@code VfioPciIntrs} and
 * {@code VfioPciIntx} (vfio_pci_intrs.c), {@code VfioPciRdwr} (vfio_pci_rdwr.c),
 * {@code VfioPciConfigRegion} (vfio_pci_config.c), and below it {@code PseriesMsi}
 * (arch/powerpc/platforms/pseries/msi.c: when the hypervisor writes a function's MSI-X table, which
 * changed in 6.18). QEMU: the PCI function behind it,
 * {@link io.jvfio.emul.device.PciFunction} with its {@link io.jvfio.emul.device.PciConfig} and
 * {@link io.jvfio.emul.device.PciBus} (hw/pci), and the PHB's DMA path ({@code PhbDma}). edu
 * (hw/misc/edu.c) is one function; another device implements {@code PciFunction} and nothing of VFIO.
 */
package io.jvfio.emul.device;
