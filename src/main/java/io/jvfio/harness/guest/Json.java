package io.jvfio.harness.guest;

/**
 * Just enough JSON writing for one-line records: strings escaped to pure ASCII (the guest console's
 * charset is unknown), numbers, null. No library: every class loaded costs time under TCG.
 */
public final class Json {
    private final StringBuilder b = new StringBuilder("{");

    /** Adds a string member (null writes JSON null). */
    public Json put(String key, String value) {
        sep();
        quote(b, key);
        b.append(':');
        if (value == null) {
            b.append("null");
        } else {
            quote(b, value);
        }
        return this;
    }

    public Json put(String key, long value) {
        sep();
        quote(b, key);
        b.append(':').append(value);
        return this;
    }

    private void sep() {
        if (b.length() > 1) {
            b.append(',');
        }
    }

    @Override
    public String toString() {
        return b + "}";
    }

    /** Appends {@code s} as a JSON string literal, escaping quotes, backslashes, controls and non-ASCII. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append("\\u");
                        String h = Integer.toHexString(c);
                        out.append("0".repeat(4 - h.length())).append(h);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2);
        quote(b, s);
        return b.toString();
    }
}
