package io.jvfio.scenario;

import java.util.regex.Pattern;

/**
 * The scenario language's numbers: decimal ({@code 4096}), hex ({@code 0x1000}), or decimal with a
 * binary suffix {@code K}, {@code M}, {@code G}, {@code T} ({@code 64K} = 65536). Negative numbers
 * do not exist; values are unsigned 64-bit, held in a {@code long}.
 */
public final class Numbers {
    private Numbers() {}

    private static final Pattern DECIMAL = Pattern.compile("[0-9]+[KMGT]?");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]{1,16}");

    /** True if {@code token} is a number of the language (whatever its magnitude). */
    public static boolean looksLikeNumber(String token) {
        return DECIMAL.matcher(token).matches() || token.matches("0[xX][0-9a-fA-F]+");
    }

    /**
     * Parses {@code token}.
     *
     * @throws NumberFormatException with a message fit for a syntax error
     */
    public static long parse(String token) {
        if (HEX.matcher(token).matches()) {
            return Long.parseUnsignedLong(token.substring(2), 16);
        }
        if (token.matches("0[xX][0-9a-fA-F]+")) {
            throw new NumberFormatException("number '" + token + "' does not fit in 64 bits");
        }
        if (!DECIMAL.matcher(token).matches()) {
            if (token.startsWith("-")) {
                throw new NumberFormatException("negative numbers are not allowed: '" + token + "'");
            }
            throw new NumberFormatException("bad number '" + token
                    + "' (use decimal, 0x hex, or a K/M/G/T suffix, e.g. 64K)");
        }
        char last = token.charAt(token.length() - 1);
        int shift = switch (last) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? token : token.substring(0, token.length() - 1);
        long v;
        try {
            v = Long.parseUnsignedLong(digits);
        } catch (NumberFormatException e) {
            throw new NumberFormatException("number '" + token + "' does not fit in 64 bits");
        }
        if (shift > 0 && Long.numberOfLeadingZeros(v) < shift) {
            throw new NumberFormatException("number '" + token + "' does not fit in 64 bits");
        }
        return v << shift;
    }

    /** Parses a value of a 32-bit kernel field. */
    public static int parseU32(String token) {
        long v = parse(token);
        if (Long.compareUnsigned(v, 0xFFFF_FFFFL) > 0) {
            throw new NumberFormatException("number '" + token + "' does not fit in a 32-bit field");
        }
        return (int) v;
    }

    /** Lower-case hex with 0x, the unsigned value: {@code 0x1211000}. */
    public static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /** Unsigned decimal. */
    public static String dec(long v) {
        return Long.toUnsignedString(v);
    }

    /**
     * A size as a person writes it in a scenario: the largest of T, G, M, K that divides it and leaves
     * less than 4096 ({@code 64K}, {@code 2M}, {@code 1G}); else decimal below 4096, hex above.
     */
    public static String size(long v) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            int sh = shifts[i];
            if (v != 0 && (v & ((1L << sh) - 1)) == 0 && Long.compareUnsigned(v >>> sh, 4096) < 0) {
                return (v >>> sh) + units[i];
            }
        }
        return Long.compareUnsigned(v, 4096) < 0 ? Long.toString(v) : hex(v);
    }
}
