package io.jvfio.harness;

import java.util.Optional;

/**
 * A guest run could not produce a trustworthy result. Unchecked: harness callers are tests and
 * tools, which report it rather than recover. When the guest ran at all, {@link #result()} holds
 * what was seen (the console up to the failure).
 */
public class GuestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient GuestResult result;

    public GuestException(String message, GuestResult result, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    public GuestException(String message, GuestResult result) {
        this(message, result, null);
    }

    /** The (possibly partial) result of the run, when the guest ran. */
    public Optional<GuestResult> result() {
        return Optional.ofNullable(result);
    }
}
