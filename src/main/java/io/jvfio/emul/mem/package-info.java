/**
 * Guest kernel layer, memory: the emulated process's address space (mappings, pins,
 * {@code locked_vm}; mm/), {@code mm_iommu} pre-registration (arch/powerpc/mm/book3s64/iommu_api.c)
 * and {@code copy_from_user}/{@code copy_to_user} on ioctl arguments ({@code UserCopy}).
 */
package io.jvfio.emul.mem;
