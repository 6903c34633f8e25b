/**
 * A userspace NVMe driver on jvfio: the model of a real device's driver (queues in DMA memory, PRP
 * lists, doorbells, MSI-X) on the toolkit's {@link io.jvfio.toolkit.DmaSession}.
 *
 * <p>{@link io.jvfio.driver.nvme.NvmeController} brings the controller up (disable, admin queue,
 * enable within CAP.TO, IDENTIFY), hands out {@link io.jvfio.driver.nvme.NvmeQueuePair}s (one per
 * thread) for READ, WRITE and FLUSH, and shuts the controller down in order so no written data is
 * lost. Every failure is an {@link io.jvfio.driver.nvme.NvmeException} naming the command, the queue
 * and the status.
 */
package io.jvfio.driver.nvme;
