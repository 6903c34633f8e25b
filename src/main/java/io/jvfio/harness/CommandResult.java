package io.jvfio.harness;

/**
 * One command of a {@link JvfioBatch}: its exit status ({@code -1} when its end marker never came,
 * e.g. the guest died) and its output (stdout and stderr together, as on the console).
 */
public record CommandResult(String id, int exitStatus, String output) {
    public boolean succeeded() {
        return exitStatus == 0;
    }
}
