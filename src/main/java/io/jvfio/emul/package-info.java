/**
 * The emulated backend: {@link io.jvfio.emul.EmulatedBackend}, an in-process model of a Linux
 * 6.12 pSeries guest kernel (4 KiB pages, radix MMU) on QEMU 7.2's {@code pseries} machine, with
 * QEMU's {@code edu} device bound to vfio-pci. Selected only by constructing it.
 *
 * <h2>Structure (one package per part of the real system)</h2>
 * This package holds the seam ({@code EmulatedBackend}, one request table and one dispatcher), the
 * machine ({@code EmulatorPlatform}), file reads and writes ({@code EmulatorReadWrite}) and the
 * snapshots ({@code EmulatorInspection}, {@code EmulatorState}).
 * <ul>
 *   <li>{@code vfio}: drivers/vfio container.c, group.c, device fds (lifetimes, order of checks);</li>
 *   <li>{@code spapr}: drivers/vfio/vfio_iommu_spapr_tce.c, v1 and v2 ({@code TceContainer} decode and
 *       lifecycle, {@code TceWindows}, {@code TceBuild} build/clear, {@code TcePrereg} over
 *       arch/powerpc/mm/book3s64/iommu_api.c, {@code TceEeh});</li>
 *   <li>{@code pseries}: arch/powerpc/platforms/pseries/iommu.c table-group ops as v6.11 made them,
 *       with the PE's device-tree properties and the sticky failed-DDW list;</li>
 *   <li>{@code papr}: QEMU's sPAPR PHB: RTAS DDW calls, H_GET/PUT_TCE, sparse TCE tables, DMA translation;</li>
 *   <li>{@code mem}: the process address space (mappings, pins, locked_vm) and mm_iommu pre-registration;</li>
 *   <li>{@code device}: vfio-pci (drivers/vfio/pci: {@code VfioPciDevice} core, {@code VfioPciIntrs}
 *       and {@code VfioPciIntx} interrupts, {@code VfioPciRdwr} BAR access, {@code VfioPciConfigRegion})
 *       over any {@code PciFunction} (QEMU's PCI device: {@code PciConfig}, {@code PciBus}); edu
 *       (hw/misc/edu.c of QEMU 7.2) is one; {@code fs}: fds, eventfds, poll(2), and the open permission check
 *       ({@code generic_permission} over the profile's {@code Credentials} and group {@code DeviceNode}s).</li>
 * </ul>
 *
 * <h2>Fidelity</h2>
 * The oracle is the observed run of a real guest (shared/reference/kernel-observed-6.12-pseries.txt);
 * the tests replay it call for call. Beyond it the model follows the kernel and QEMU sources line by
 * line, including their quirks: a misaligned IOVA makes MAP/UNMAP return +1; a v1 MAP crossing the
 * window end returns the raw hcall status -4 (errno EINTR) after rolling back; a v2 MAP crossing it
 * throws {@link io.jvfio.emul.KernelBugException} where the kernel oopses; UNREGISTER of a region
 * that TCEs still map returns 0 and leaves the region pinned until the process exits; a failed
 * CREATE leaves its locked_vm charge; a second DDW while one exists fails EEXIST and is sticky;
 * QEMU's u32 {@code nb_table} makes windows of 2^32 or more TCEs fail ENODEV (sticky).
 *
 * <p>Deliberate simplifications: one process (no second-mm EPERM), one lock for the platform,
 * factorial and DMA complete synchronously at the register write, a free LIOBN is taken in LIOBN
 * order, a 2 GiB guest (anonymous mmaps and the kernel's vmalloc of a window's userspace view fail
 * beyond it), QEMU's own TCE table allocation never fails, EEH exists only as a hypothetical
 * minimal model ({@code eehSupported}), the config space is a close approximation of vfio's
 * virtualization. Process memory is only what {@code mmapAnonymous} returned; its real address is
 * the "physical" address a TCE holds, and pinned memory outlives munmap so a device never touches
 * freed memory. QEMU aborting (edu's off-by-one DMA range check) is a
 * {@link io.jvfio.emul.QemuAbortException}; everything after it throws the same.
 */
package io.jvfio.emul;
