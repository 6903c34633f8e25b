/**
 * The userspace-driver toolkit: what a driver author on a POWER guest uses instead of raw containers
 * and windows, so that TCE levels, the SR-IOV single-window rule and where a hypervisor puts the
 * 64-bit window stay the toolkit's business.
 *
 * <ul>
 *   <li>{@link io.jvfio.toolkit.DmaSession}: open a group, get a container set up as planned, map
 *       memory and receive the IOVA the device must use; close tears everything down in order.</li>
 *   <li>{@link io.jvfio.toolkit.DmaMemory}: process memory for DMA (anonymous or hugetlb) whose
 *       registration and mappings are handled, and released in the right order.</li>
 *   <li>{@link io.jvfio.toolkit.IovaAllocator}: best-fit IOVA ranges inside a window, freeing unmaps.</li>
 *   <li>{@link io.jvfio.toolkit.WindowPlanner} and {@link io.jvfio.toolkit.Plan}: the decisions, with
 *       their reasons and costs; {@link io.jvfio.toolkit.PlanReport} renders them for {@code jvfio plan}.</li>
 *   <li>{@link io.jvfio.toolkit.VfioHost}: the kernel when the host has VFIO groups, else the emulator.</li>
 * </ul>
 */
package io.jvfio.toolkit;
