package io.jvfio.harness;

/** The guest cannot run here at all (no images, no QEMU, no Docker); the message says what to do. */
public final class GuestUnavailableException extends GuestException {
    private static final long serialVersionUID = 1L;

    public GuestUnavailableException(String message) {
        super(message, null);
    }

    public GuestUnavailableException(String message, Throwable cause) {
        super(message, null, cause);
    }
}
