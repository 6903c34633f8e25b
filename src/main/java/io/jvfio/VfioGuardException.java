package io.jvfio;

/**
 * jvfio refused a call before issuing it: issuing it would hit a known kernel bug (a v2 MAP_DMA
 * crossing the end of its window oopses the 6.12 pSeries kernel), or its arguments cannot be right.
 * The raw seam ({@link io.jvfio.backend.VfioBackend}) can still issue such calls, for testing. Immutable.
 */
public final class VfioGuardException extends VfioException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal before the call.
     *
     * @param operation what was refused, with its arguments
     * @param request the ioctl request number it would have issued, or 0
     * @param advice why, and what to do instead
     */
    public VfioGuardException(String operation, int request, String advice) {
        super(operation, request, 0, advice);
    }
}
