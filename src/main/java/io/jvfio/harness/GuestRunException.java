package io.jvfio.harness;

/** The guest booted but the run did not complete (no exit line: QEMU died, the kernel panicked, /init failed). */
public final class GuestRunException extends GuestException {
    private static final long serialVersionUID = 1L;

    public GuestRunException(String message, GuestResult result) {
        super(message, result);
    }

    public GuestRunException(String message, GuestResult result, Throwable cause) {
        super(message, result, cause);
    }
}
