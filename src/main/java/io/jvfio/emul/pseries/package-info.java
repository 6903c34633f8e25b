/**
 * Guest kernel layer, the pSeries platform's IOMMU code (arch/powerpc/platforms/pseries/iommu.c and
 * arch/powerpc/kernel/iommu.c of Linux 6.12): table groups, {@code iommu_table}s and DDW, talking to
 * the hypervisor ({@link io.jvfio.emul.papr}) through RTAS calls and hcalls only.
 */
package io.jvfio.emul.pseries;
