package io.jvfio.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PCI device of the guest as {@code jvfio guest --device SPEC} and {@code @PseriesGuest(devices)}
 * spell it: a kind, then {@code ,key=value} options, e.g. {@code edu} or {@code edu,dma_mask=0xfffffff}.
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
     */
    record Edu(long dmaMask) implements DeviceSpec {
        static Edu of(Map<String, String> options) {
            String mask = options.remove("dma_mask");
            try {
                return new Edu(mask == null ? GuestMachine.FULL_DMA_MASK : Long.parseUnsignedLong(
                        mask.startsWith("0x") ? mask.substring(2) : mask, mask.startsWith("0x") ? 16 : 10));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("edu: dma_mask '" + mask + "' is not a number (e.g. 0xffffffff)");
            }
        }

        @Override
        public String kind() {
            return "edu";
        }

        @Override
        public List<String> qemuArgs(String bus) {
            return List.of("-device", "edu," + (bus == null ? "" : "bus=" + bus + ",") + "dma_mask=0x"
                    + Long.toHexString(dmaMask));
        }
    }

    /**
     * QEMU's {@code nvme} controller (1b36:0010) whose namespace is a raw image file on the host
     * ({@code -drive file=IMG,format=raw}): what the guest writes lands in that file. The serial is
     * {@code jvfio-nvme}, as the emulator's controller reports.
     *
     * @param image the raw image, an existing file whose size is a multiple of 512 bytes
     */
    record Nvme(Path image) implements DeviceSpec {
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
            return new Nvme(p);
        }

        @Override
        public String kind() {
            return "nvme";
        }

        @Override
        public List<String> qemuArgs(String bus) {
            String drive = "nvme" + Integer.toHexString(image.hashCode());
            return List.of("-drive", "file=" + image + ",if=none,id=" + drive + ",format=raw",
                    "-device", "nvme,serial=jvfio-nvme,drive=" + drive + (bus == null ? "" : ",bus=" + bus));
        }
    }
}
