package io.jvfio;

/** Human-readable byte sizes for messages: 4K, 64K, 2M, 1G. Stateless and thread-safe. */
public final class Sizes {
    private Sizes() {}

    /**
     * A size in the largest binary unit that divides it exactly.
     *
     * @param bytes the size, read as unsigned
     * @return e.g. {@code 64K}, {@code 1G}, or {@code 4097} when no unit divides it
     */
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
