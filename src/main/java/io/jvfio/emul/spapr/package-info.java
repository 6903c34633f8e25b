/**
 * Guest kernel layer, the VFIO SPAPR TCE IOMMU driver (drivers/vfio/vfio_iommu_spapr_tce.c of Linux
 * 6.12), split along its parts: {@code TceContainer} (the kernel's {@code struct tce_container}:
 * decode and lifecycle), {@code TceWindows}, {@code TceBuild} (build and clear), {@code TcePrereg}
 * (over arch/powerpc/mm/book3s64/iommu_api.c) and {@code TceEeh}. Below it: {@link io.jvfio.emul.pseries}.
 */
package io.jvfio.emul.spapr;
