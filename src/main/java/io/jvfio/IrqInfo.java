package io.jvfio;

/**
 * {@code VFIO_DEVICE_GET_IRQ_INFO}: one interrupt index (INTx, MSI, MSI-X, ERR, REQ). Immutable.
 *
 * @param index 0 INTx, 1 MSI, 2 MSI-X, 3 ERR, 4 REQ
 * @param flags raw {@code VFIO_IRQ_INFO_*} bits
 * @param count how many vectors the index has (0: the device has none of that kind)
 */
public record IrqInfo(int index, int flags, int count) {}
