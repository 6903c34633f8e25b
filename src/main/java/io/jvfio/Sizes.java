package io.jvfio;

/** Human-readable byte sizes for messages: 4K, 64K, 2M, 1G. */
public final class Sizes {
    private Sizes() {}

    public static String human(long bytes) {
        String[] units = {"", "K", "M", "G", "T", "P", "E"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
            v >>>= 10;
            u++;
        }
        return Long.toUnsignedString(v) + units[u];
    }
}
