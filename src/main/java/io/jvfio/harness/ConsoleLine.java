package io.jvfio.harness;

/** One line of the guest console and when the host saw it, in milliseconds after QEMU was started. */
public record ConsoleLine(long atMillis, String text) {
    @Override
    public String toString() {
        return String.format("[%8.3f] %s", atMillis / 1000.0, text);
    }
}
