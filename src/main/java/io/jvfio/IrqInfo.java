package io.jvfio;

/** {@code VFIO_DEVICE_GET_IRQ_INFO}: one interrupt index (INTx, MSI, MSI-X, ERR, REQ). */
public record IrqInfo(int index, int flags, int count) {}
