package io.jvfio.harness.guest;

import java.io.PrintStream;

/** Test access to GuestTestMain's package-private entry points (main() would System.exit). */
public final class GuestTestMainAccess {
    private GuestTestMainAccess() {}

    public static Object parse(String... args) {
        return GuestTestMain.parse(args);
    }

    public static int run(PrintStream out, String... args) {
        return GuestTestMain.run(GuestTestMain.parse(args), out);
    }
}
