/**
 * Guest kernel layer, VFIO core (drivers/vfio/vfio_main.c, container.c, group.c of Linux 6.12): the
 * container, group and device files of the emulated process, their lifetimes and their ioctls in
 * the kernel's order of checks. {@code VfioContainer} is the kernel's {@code struct vfio_container};
 * {@code ContainerFile} the open {@code /dev/vfio/vfio} that holds it. The IOMMU driver behind a
 * container is {@link io.jvfio.emul.spapr}.
 */
package io.jvfio.emul.vfio;
