package io.jvfio.scenario;

/** Exit statuses of {@code jvfio run} (scenario-format.md, "Exit status"), plus jvfio's extensions. */
public final class ExitStatus {
    private ExitStatus() {}

    /** Every checked step matched. */
    public static final int OK = 0;
    /** At least one MISMATCH. */
    public static final int MISMATCH = 1;
    /** A syntax error (nothing ran), or a bad command line. */
    public static final int SYNTAX = 2;
    /** The file or /dev/vfio/vfio could not be opened. */
    public static final int UNAVAILABLE = 3;
    /** Extension: the emulator hit a call on which the real kernel oopses (KERNEL-BUG); the file stopped there. */
    public static final int KERNEL_BUG = 4;
    /** Extension: jvfio itself failed (a bug in jvfio; the message says what to report). */
    public static final int INTERNAL = 5;

    /** The status of several runs: the most severe. */
    public static int combine(int a, int b) {
        return Math.max(a, b);
    }
}
