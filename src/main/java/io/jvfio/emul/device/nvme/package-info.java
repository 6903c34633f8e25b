/**
 * QEMU 7.2.22's {@code nvme} device (hw/nvme/ctrl.c, ns.c, nvme.h of Debian's qemu-system-ppc64,
 * the one the guest harness runs) as a self-contained model: {@link
 * io.jvfio.emul.device.nvme.NvmeCtrl} is the controller behind BAR0, {@link
 * io.jvfio.emul.device.nvme.NvmeNamespace} its namespace 1 (memory or a raw image file), {@link
 * io.jvfio.emul.device.nvme.NvmeInterrupts} the MSI-X it raises and {@link
 * io.jvfio.emul.device.nvme.NvmePciIdentity} the PCI identity for the config space; {@link
 * io.jvfio.emul.device.nvme.NvmeFunction} puts them together as a {@link
 * io.jvfio.emul.device.PciFunction} for vfio-pci. DMA goes through {@link
 * io.jvfio.emul.device.DmaPort}, so through the PHB's TCE windows as edu's does.
 *
 * <h2>Fidelity</h2>
 * Followed line by line: the register file and its write side effects (CC.EN start checks setting
 * CSTS.CFS, disable clearing CC and CSTS, CC.SHN flushing and reporting SHST complete), queue
 * creation and deletion checks in QEMU's order with QEMU's status codes (Delete CQ with SQs left
 * is Invalid Queue Deletion without DNR), command fetch limited by the SQ's request slots,
 * completion posting held while the CQ is full, the phase tag, the SQ head in the entry, MSI-X only
 * for a CQ with IEN while MSI-X is enabled, PRP1/PRP2/PRP-list walking including chained lists,
 * MDTS 7, the LBA range check, and doorbell misuse: a write to a missing queue's doorbell or
 * beyond the queue's size is ignored, and posts an Error asynchronous event (Invalid Doorbell
 * Register / Value, log page 01h) only if an ASYNCHRONOUS EVENT REQUEST is outstanding; a misaligned
 * doorbell write is ignored.
 *
 * <p>DMA failures, as QEMU's DMA helpers produce them on an untranslatable bus address: a submission
 * entry that cannot be read or a completion entry that cannot be written sets CSTS.CFS (whole CSTS,
 * RDY cleared); an unreadable PRP list is Data Transfer Error (READ and WRITE add DNR as QEMU's
 * {@code invalid:} path does); data pages that do not translate read as zeros and take no writes
 * while the command succeeds (QEMU bounces them through unassigned memory); they are counted.
 *
 * <h2>Deviations</h2>
 * <ul>
 *   <li>Timing collapsed: fetch, execution, block I/O and completion run before the doorbell write
 *       returns (QEMU: bottom halves and AIO afterwards), in QEMU's order.</li>
 *   <li>Not modelled, so not advertised in Identify (QEMU sets them): SGLs (an SGL data pointer is
 *       Invalid Field), write zeroes, compare, DSM, verify, copy (Invalid Opcode), namespace
 *       management and attachment, format, doorbell buffer config, virtualization management
 *       (Invalid Opcode), log pages other than Error Information (Invalid Field), features other
 *       than Number of Queues and Asynchronous Event Configuration (Invalid Field), CMB, PMR,
 *       SR-IOV, zoned namespaces, metadata and protection information, INTx (with MSI-X disabled a
 *       completion raises nothing; INTMS/INTMC are kept but gate nothing).</li>
 *   <li>QEMU refuses data pointers into BAR0 itself ({@code nvme_addr_is_iomem}); the model does
 *       not know where BAR0 sits on the bus.</li>
 *   <li>The MSI-X table and PBA (BAR0 from 0x2000) are the PCI layer's; the model only raises a
 *       vector.</li>
 * </ul>
 */
package io.jvfio.emul.device.nvme;
