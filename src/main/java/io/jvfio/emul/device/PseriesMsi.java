package io.jvfio.emul.device;

import io.jvfio.backend.KernelFix;

/**
 * What the pSeries guest kernel keeps per PCI function for MSI and MSI-X
 * (arch/powerpc/platforms/pseries/msi.c) and what that makes the hypervisor do to the device: QEMU's
 * {@code ibm,change-msi} writes the function's MSI-X table (address and data of every vector), and
 * the function's reset (QEMU's {@code msix_reset}) clears it again. A vector fired while the table
 * is clear writes nowhere.
 *
 * <p>Before {@link KernelFix#PSERIES_MSI_PARENT_DOMAIN} (6.12) every enable calls
 * {@code ibm,change-msi} ({@code msi_prepare}) and every disable undoes it. With it, the call runs
 * when the function's MSI-X domain is created, and the domain stays until the function goes or MSI
 * replaces it; vfio-pci's reset at the next open then leaves the table clear for good.
 */
final class PseriesMsi {
    private final boolean parentDomains;
    /** The function's MSI domain since the change: none, MSI or MSI-X (the vfio index). */
    private int domain = VfioPciIntrs.IRQ_NONE;
    /** Whether the function's MSI-X table holds the hypervisor's messages. */
    private boolean tableWritten;
    /** MSI-X vectors the function fired while its table was clear. */
    private long lost;

    /** @param kernel the guest kernel's release */
    PseriesMsi(String kernel) {
        this.parentDomains = KernelFix.PSERIES_MSI_PARENT_DOMAIN.carriedBy(kernel);
    }

    /** {@code pci_alloc_irq_vectors} for MSI or MSI-X ({@code index}: the vfio irq index). */
    void enable(int index) {
        boolean msix = index == io.jvfio.abi.VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX;
        if (parentDomains) {
            if (domain == index) {
                return; // pci_setup_msi{,x}_device_domain: the domain exists, no msi_prepare
            }
            if (domain != VfioPciIntrs.IRQ_NONE) {
                teardown(); // msi_remove_device_irq_domain of the other kind: rtas_disable_msi
            }
            domain = index;
        }
        if (msix) {
            tableWritten = true; // msi_prepare: rtas_change_msi, QEMU writes the table
        }
    }

    /** {@code pci_free_irq_vectors}: before the change, {@code msi_post_free} disables it in firmware. */
    void disable() {
        if (!parentDomains) {
            teardown();
        }
    }

    /** The function was reset (FLR at vfio-pci's open and close, VFIO_DEVICE_RESET): its table is clear. */
    void functionReset() {
        tableWritten = false;
    }

    /** Whether MSI-X vector writes reach the guest; counts those that do not. */
    boolean msixDelivers() {
        if (!tableWritten) {
            lost++;
        }
        return tableWritten;
    }

    /** MSI-X vectors fired while the table was clear. */
    long lost() {
        return lost;
    }

    private void teardown() {
        tableWritten = false;
        domain = VfioPciIntrs.IRQ_NONE;
    }
}
