package io.jvfio.harness.nested;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a nested run's time went, each measured on the host from L0's start (empty when the
 * milestone never came).
 *
 * @param l1Init L1's /init printed its first line (L0 firmware + L1 kernel + unpacking L1's initramfs)
 * @param l2Start L1 started L2's QEMU (L1's modules, KVM, vfio-pci binding)
 * @param l2Init L2's /init printed its first line (QEMU start-up in L1 + L2 kernel)
 * @param firstTest the first in-L2 test result arrived (L2's JVM start + the first test)
 * @param l2End L2's /init reported the end of its run (JVFIO-EXIT)
 * @param l1End L1's /init reported the end of its run (L2's QEMU gone, traces and checks printed)
 * @param total L0's QEMU exited (or was killed)
 */
public record NestedTiming(Duration l1Init, Duration l2Start, Duration l2Init, Duration firstTest, Duration l2End,
        Duration l1End, Duration total) {

    public Optional<Duration> toL1Init() {
        return Optional.ofNullable(l1Init);
    }

    public Optional<Duration> toL2Init() {
        return Optional.ofNullable(l2Init);
    }

    public Optional<Duration> toFirstTest() {
        return Optional.ofNullable(firstTest);
    }

    static String seconds(Duration d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    static String bytes(long b) {
        if (b >= 1L << 30 && b % (1L << 30) == 0) {
            return (b >> 30) + "G";
        }
        if (b >= 1L << 20 && b % (1L << 20) == 0) {
            return (b >> 20) + "M";
        }
        if (b >= 1L << 10 && b % (1L << 10) == 0) {
            return (b >> 10) + "K";
        }
        return Long.toString(b);
    }

    /** One line per layer, for reports. */
    public String report() {
        return "  L0 start -> L1 /init:        " + seconds(l1Init) + "\n"
                + "  L0 start -> L2 QEMU started: " + seconds(l2Start) + "\n"
                + "  L0 start -> L2 /init:        " + seconds(l2Init) + "\n"
                + "  L0 start -> first L2 test:   " + seconds(firstTest) + "\n"
                + "  L0 start -> L2 end:          " + seconds(l2End) + "\n"
                + "  L0 start -> L1 end:          " + seconds(l1End) + "\n"
                + "  L0 start -> L0 exit (total): " + seconds(total);
    }

    @Override
    public String toString() {
        return "L0 start -> L1 /init " + seconds(l1Init) + ", -> L2 /init " + seconds(l2Init) + ", -> first test "
                + seconds(firstTest) + ", -> end " + seconds(total);
    }
}
