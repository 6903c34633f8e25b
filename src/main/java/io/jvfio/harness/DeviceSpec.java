package io.jvfio.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PCI device of the guest as {@code jvfio guest --device SPEC} and {@code @PseriesGuest(devices)}
 * spell it: a kind, then {@code ,key=value} options, e.g. {@code edu}, {@code edu,dma_mask=0xfffffff} or
 * {@code edu,phb=2,function=0,multifunction=on} (function 0 of a multi-function edu on PHB 2).
 * Every device is bound to vfio-pci by the guest's /init.
 *
 * <p>Adding a kind: a record implementing this interface, its {@code case} in {@link #parse}, and its
 * name in {@link #KINDS}.
 */
public sealed interface DeviceSpec permits DeviceSpec.Edu, DeviceSpec.Nvme {
    /** The kinds {@link #parse} knows. */
    List<String> KINDS = List.of("edu", "nvme");

    /** The spec's kind, e.g. {@code edu}. */
    String kind();

    /**
     * The QEMU arguments that add this device: on PHB 0 when {@code bus} is null, else on that bus
     * (e.g. {@code phb1.0}).
     */
    List<String> qemuArgs(String bus);

    /** The PHB the spec asks for ({@code phb=N}), or -1 for the round-robin place {@link GuestSetup} gives it. */
    default int phbIndex() {
        return -1;
    }

    /**
     * Parses {@code kind[,key=value]...}.
     *
     * @throws IllegalArgumentException naming the bad part and what is accepted
     */
    static DeviceSpec parse(String spec) {
        String[] parts = spec.strip().split(",");
        String kind = parts[0];
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("device '" + spec + "': option '" + parts[i] + "' is not KEY=VALUE");
            }
            options.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        DeviceSpec d = switch (kind) {
            case "edu" -> Edu.of(options);
            case "nvme" -> Nvme.of(options);
            default -> throw new IllegalArgumentException("device '" + spec + "': unknown kind '" + kind
                    + "' (known: " + String.join(", ", KINDS) + ")");
        };
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("device '" + spec + "': unknown option(s) " + options.keySet()
                    + " for " + kind);
        }
        return d;
    }

    /**
     * QEMU's {@code edu} teaching device (1234:11e8) with its DMA engine.
     *
     * @param dmaMask the {@code dma_mask} (QEMU's default, 28 bits, cannot reach a 64-bit window;
     *     the full mask is the default here)
     * @param phb the PHB it sits on ({@code phb=N}), or -1 for the round-robin place {@link GuestSetup} gives it
     * @param function the PCI function of slot 0 ({@code function=F}, QEMU's {@code addr=0.F}), or -1 for
     *     QEMU's choice (the next free slot)
     * @param multifunction QEMU's {@code multifunction=on}: function 0 of a slot that has other functions
     *     needs it (several edu functions on one PHB are one device in one IOMMU group)
     */
    record Edu(long dmaMask, int phb, int function, boolean multifunction) implements DeviceSpec {
        public Edu {
            Slot.check("edu", phb, function);
        }

        /** An edu with QEMU's placement: the round-robin PHB, the next free slot. */
        public Edu(long dmaMask) {
            this(dmaMask, -1, -1, false);
        }

        static Edu of(Map<String, String> options) {
            String mask = options.remove("dma_mask");
            long dmaMask;
            try {
                dmaMask = mask == null ? GuestMachine.FULL_DMA_MASK : Long.parseUnsignedLong(
                        mask.startsWith("0x") ? mask.substring(2) : mask, mask.startsWith("0x") ? 16 : 10);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("edu: dma_mask '" + mask + "' is not a number (e.g. 0xffffffff)");
            }
            Slot slot = Slot.of("edu", options);
            return new Edu(dmaMask, slot.phb(), slot.function(), slot.multifunction());
        }

        @Override
        public String kind() {
            return "edu";
        }

        @Override
        public int phbIndex() {
            return phb;
        }

        @Override
        public List<String> qemuArgs(String bus) {
            return List.of("-device", "edu," + (bus == null ? "" : "bus=" + bus + ",")
                    + new Slot(phb, function, multifunction).qemuOptions() + "dma_mask=0x" + Long.toHexString(dmaMask));
        }
    }

    /**
     * QEMU's {@code nvme} controller (1b36:0010) whose namespace is a raw image file on the host
     * ({@code -drive file=IMG,format=raw}): what the guest writes lands in that file. The serial is
     * {@code jvfio-nvme}, as the emulator's controller reports.
     *
     * Several controllers can share one multi-function slot ({@code nvme,image=A,phb=3,function=1,multifunction=on}
     * and the same with {@code function=0} and its own image): one device, so one IOMMU group.
     *
     * @param image the raw image, an existing file whose size is a multiple of 512 bytes
     * @param phb the PHB it sits on ({@code phb=N}), or -1 for the round-robin place {@link GuestSetup} gives it
     * @param function the PCI function of slot 0 ({@code function=F}), or -1 for QEMU's choice
     * @param multifunction QEMU's {@code multifunction=on} (QEMU 7.2 wants it on every function of the slot)
     */
    record Nvme(Path image, int phb, int function, boolean multifunction) implements DeviceSpec {
        public Nvme {
            Slot.check("nvme", phb, function);
        }

        /** A controller with QEMU's placement: the round-robin PHB, the next free slot. */
        public Nvme(Path image) {
            this(image, -1, -1, false);
        }

        static Nvme of(Map<String, String> options) {
            String image = options.remove("image");
            if (image == null || image.isBlank()) {
                throw new IllegalArgumentException("nvme: needs image=FILE (a raw image file on the host)");
            }
            Path p = Path.of(image).toAbsolutePath();
            long size;
            try {
                size = Files.size(p);
            } catch (IOException e) {
                throw new IllegalArgumentException("nvme: image " + p + " cannot be read (" + e.getMessage()
                        + "): create it first, e.g. truncate -s 64M " + image);
            }
            if (size == 0 || size % 512 != 0) {
                throw new IllegalArgumentException("nvme: image " + p + " is " + size
                        + " bytes: a namespace needs a non-empty multiple of 512");
            }
            Slot slot = Slot.of("nvme", options);
            return new Nvme(p, slot.phb(), slot.function(), slot.multifunction());
        }

        @Override
        public int phbIndex() {
            return phb;
        }

        @Override
        public String kind() {
            return "nvme";
        }

        @Override
        public List<String> qemuArgs(String bus) {
            String drive = "nvme" + Integer.toHexString(image.hashCode());
            return List.of("-drive", "file=" + image + ",if=none,id=" + drive + ",format=raw",
                    "-device", "nvme,serial=jvfio-nvme,drive=" + drive + (bus == null ? "" : ",bus=" + bus)
                            + ("," + new Slot(phb, function, multifunction).qemuOptions()).replaceFirst(",$", ""));
        }
    }

    /**
     * Where a device sits: {@code phb=N}, {@code function=F} (QEMU's {@code addr=0.F}) and
     * {@code multifunction=on}, the options every kind shares.
     */
    record Slot(int phb, int function, boolean multifunction) {
        static void check(String kind, int phb, int function) {
            if (phb < -1 || phb > 15) {
                throw new IllegalArgumentException(kind + ": phb must be 0..15: " + phb);
            }
            if (function < -1 || function > 7) {
                throw new IllegalArgumentException(kind + ": function must be 0..7: " + function);
            }
        }

        /** Takes {@code phb}, {@code function} and {@code multifunction} out of {@code options}. */
        static Slot of(String kind, Map<String, String> options) {
            String mf = options.remove("multifunction");
            if (mf != null && !mf.equals("on") && !mf.equals("off")) {
                throw new IllegalArgumentException(kind + ": multifunction must be on or off, got '" + mf + "'");
            }
            return new Slot(index(kind, options.remove("phb"), "phb"), index(kind, options.remove("function"), "function"),
                    "on".equals(mf));
        }

        private static int index(String kind, String v, String what) {
            try {
                return v == null ? -1 : Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(kind + ": " + what + " '" + v + "' is not a number");
            }
        }

        /** QEMU's {@code addr=0.F,multifunction=on,} as far as set, each ending in a comma. */
        String qemuOptions() {
            return (function < 0 ? "" : "addr=0." + function + ",") + (multifunction ? "multifunction=on," : "");
        }
    }
}
