package io.jvfio.harness;

/** The run exceeded {@link GuestMachine#timeout()} and was killed; {@link #result()} has the console so far. */
public final class GuestTimeoutException extends GuestException {
    private static final long serialVersionUID = 1L;

    public GuestTimeoutException(String message, GuestResult partial) {
        super(message, partial);
    }
}
