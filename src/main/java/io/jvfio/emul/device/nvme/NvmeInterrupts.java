package io.jvfio.emul.device.nvme;

/**
 * What the controller needs of its PCI function's MSI-X: whether MSI-X is enabled (QEMU's
 * {@code msix_enabled()}, which decides whether a CQ may name a vector other than 0) and the
 * delivery of one vector ({@code msix_notify()}). Masking, the table and the pending bits are the
 * PCI layer's business. INTx is not modelled: with MSI-X disabled, completions raise nothing.
 */
public interface NvmeInterrupts {
    /** MSI-X enable bit of the function's capability, as the PCI layer sees it now. */
    boolean msixEnabled();

    /**
     * Raise MSI-X vector {@code vector} (0-based, below the table size). Called with the
     * controller's lock held, from the thread whose register write completed the command: it must
     * not wait for another thread that accesses the controller.
     */
    void msixNotify(int vector);

    /** No interrupts at all: MSI-X disabled, polled use only. */
    NvmeInterrupts NONE = new NvmeInterrupts() {
        @Override
        public boolean msixEnabled() {
            return false;
        }

        @Override
        public void msixNotify(int vector) {
            throw new IllegalStateException("MSI-X vector " + vector + " raised while MSI-X is disabled");
        }
    };
}
