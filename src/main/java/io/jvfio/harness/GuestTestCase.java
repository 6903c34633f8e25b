package io.jvfio.harness;

/**
 * One in-guest test as {@code GuestTestMain} reported it.
 *
 * @param uid the JUnit unique id
 * @param className the test class (binary name)
 * @param name the display name (prefixed by the method's for parameterized and dynamic tests)
 * @param status SUCCESSFUL, FAILED, ABORTED or SKIPPED
 * @param reason the failure or skip reason, or null
 * @param trace the first lines of the failure's stack trace, or null
 * @param millis the test's duration in the guest
 */
public record GuestTestCase(String uid, String className, String name, String status, String reason, String trace,
        long millis) {
    public boolean passed() {
        return status.equals("SUCCESSFUL");
    }

    public boolean failed() {
        return status.equals("FAILED");
    }

    /** SKIPPED or ABORTED (an assumption did not hold). */
    public boolean skipped() {
        return status.equals("SKIPPED") || status.equals("ABORTED");
    }

    /** {@code SimpleClassName > name}. */
    public String displayName() {
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return simple.isEmpty() ? name : simple + " > " + name;
    }
}
