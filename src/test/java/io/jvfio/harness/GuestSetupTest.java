package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --device}, {@code --phbs}, {@code --kernel} as the launchers' machine sees them. */
class GuestSetupTest {
    static GuestSetup setup(String kernel, int phbs, String... devices) {
        return new GuestSetup(kernel, List.of(devices).stream().map(DeviceSpec::parse).toList(), phbs, "2G",
                Duration.ofMinutes(5));
    }

    @Test
    void eduSpecsParseWithTheirOptions() {
        assertEquals(new DeviceSpec.Edu(GuestMachine.FULL_DMA_MASK), DeviceSpec.parse("edu"));
        assertEquals(new DeviceSpec.Edu(0xfffffffL), DeviceSpec.parse("edu,dma_mask=0xfffffff"));
        assertEquals(List.of("-device", "edu,bus=phb1.0,dma_mask=0xff"), DeviceSpec.parse("edu,dma_mask=255").qemuArgs("phb1.0"));
    }

    @Test
    void nvmeSpecsNameTheirHostImage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path img = java.nio.file.Files.write(dir.resolve("ns.img"), new byte[4096]);
        DeviceSpec d = DeviceSpec.parse("nvme,image=" + img);
        assertEquals(new DeviceSpec.Nvme(img.toAbsolutePath()), d);
        List<String> args = d.qemuArgs("phb1.0");
        assertTrue(args.get(1).startsWith("file=" + img.toAbsolutePath() + ",if=none,id=nvme"), args.toString());
        assertTrue(args.get(3).startsWith("nvme,serial=jvfio-nvme,drive=nvme") && args.get(3).endsWith(",bus=phb1.0"),
                args.toString());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("nvme")).getMessage()
                .contains("image=FILE"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DeviceSpec.parse("nvme,image=" + dir.resolve("absent.img"))).getMessage().contains("create it first"));
        java.nio.file.Path odd = java.nio.file.Files.write(dir.resolve("odd.img"), new byte[1000]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("nvme,image=" + odd))
                .getMessage().contains("multiple of 512"));
    }

    @Test
    void badSpecsNameWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("gpu")).getMessage()
                .contains("unknown kind 'gpu' (known: edu, nvme)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("edu,colour=red")).getMessage()
                .contains("[colour]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("edu,dma_mask")).getMessage()
                .contains("not KEY=VALUE"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("edu,dma_mask=0xzz")).getMessage()
                .contains("not a number"));
    }

    @Test
    void devicesGoRoundRobinOntoThePhbs() {
        List<String> q = setup("6.12", 2, "edu", "edu", "edu").machine().qemuCommand("k", "i", null, null);
        String cmd = String.join(" ", q);
        assertTrue(cmd.contains("-device spapr-pci-host-bridge,index=1,id=phb1"), cmd);
        assertEquals(3, Collections.frequency(q, "-device") - 1, cmd); // three edus and one extra PHB
        // PHB 0's bus named: with more PHBs QEMU's default bus is the last one's (both edus would share a group)
        assertTrue(cmd.contains("-device edu,bus=pci.0,dma_mask=0xffffffffffffffff -device edu,bus=phb1.0,dma_mask=0xffffffffffffffff"
                + " -device edu,bus=pci.0,dma_mask=0xffffffffffffffff"), cmd);
        String one = String.join(" ", setup("6.12", 1, "edu").machine().qemuCommand("k", "i", null, null));
        assertTrue(one.contains("-device edu,dma_mask=0xffffffffffffffff"), "one PHB: the command line as before: " + one);
    }

    @Test
    void multiFunctionEduOnANamedPhb() {
        assertEquals(new DeviceSpec.Edu(GuestMachine.FULL_DMA_MASK, 2, 1, true),
                DeviceSpec.parse("edu,phb=2,function=1,multifunction=on"));
        String cmd = String.join(" ", setup("6.12", 3, "edu", "edu,phb=2,function=1,multifunction=on",
                "edu,phb=2,function=0,multifunction=on").machine().qemuCommand("k", "i", null, null));
        assertTrue(cmd.contains("-device edu,bus=pci.0,dma_mask=0xffffffffffffffff"
                + " -device edu,bus=phb2.0,addr=0.1,multifunction=on,dma_mask=0xffffffffffffffff"
                + " -device edu,bus=phb2.0,addr=0.0,multifunction=on,dma_mask=0xffffffffffffffff"), cmd);
        for (String bad : List.of("edu,phb=x", "edu,function=8", "edu,phb=16", "edu,multifunction=yes")) {
            assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad), bad);
        }
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> setup("6.12", 2, "edu,phb=2"));
        assertTrue(x.getMessage().contains("names PHB 2 but the guest has 2 PHB(s)"), x.getMessage());
    }

    @Test
    void multiFunctionNvmeEachFunctionWithItsImage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path a = java.nio.file.Files.write(dir.resolve("a.img"), new byte[4096]);
        java.nio.file.Path b = java.nio.file.Files.write(dir.resolve("b.img"), new byte[4096]);
        assertEquals(new DeviceSpec.Nvme(a.toAbsolutePath(), 3, 1, true),
                DeviceSpec.parse("nvme,image=" + a + ",phb=3,function=1,multifunction=on"));
        List<String> q = setup("6.12", 4, "nvme,image=" + a + ",phb=3,function=1,multifunction=on",
                "nvme,image=" + b + ",phb=3,function=0,multifunction=on").machine().qemuCommand("k", "i", null, null);
        List<String> nvme = q.stream().filter(s -> s.startsWith("nvme,")).toList();
        assertEquals(2, nvme.size(), q.toString());
        assertTrue(nvme.get(0).endsWith(",bus=phb3.0,addr=0.1,multifunction=on"), nvme.toString());
        assertTrue(nvme.get(1).endsWith(",bus=phb3.0,addr=0.0,multifunction=on"), nvme.toString());
        assertTrue(!nvme.get(0).split(",")[2].equals(nvme.get(1).split(",")[2]), "each function its own drive: " + nvme);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("nvme,image=" + a + ",function=9"))
                .getMessage().contains("nvme: function must be 0..7"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("nvme,image=" + a
                + ",multifunction=yes")).getMessage().contains("nvme: multifunction must be on or off"));
    }

    @Test
    void noDeviceMeansNoDevice() {
        String cmd = String.join(" ", setup("6.12", 1).machine().qemuCommand("k", "i", null, null));
        assertFalse(cmd.contains("edu"), cmd);
        assertFalse(cmd.contains("spapr-pci-host-bridge,index"), cmd);
    }

    @Test
    void everyKernelChoiceHasItsOwnImagesAndUnknownOnesAreRefused() {
        assertEquals(GuestImages.Flavour.K4, setup("6.12", 1).flavour());
        assertEquals(GuestImages.defaultDir(), GuestImages.dirFor("6.12"));
        assertEquals(GuestImages.defaultDir().resolve("6.1"), GuestImages.dirFor("6.1"));
        assertEquals(GuestImages.defaultDir().resolve("newest"), GuestImages.dirFor("newest"));
        assertThrows(IllegalArgumentException.class, () -> setup("5.4", 1));
    }

    @Test
    void pageSize_64kBootsThe64kFlavour_andNamesAreChecked() {
        assertEquals(GuestImages.Flavour.K64, GuestImages.Flavour.named("64k"));
        assertEquals(GuestImages.Flavour.K64, GuestImages.Flavour.named(" 64K "));
        assertEquals(GuestImages.Flavour.K4, GuestImages.Flavour.named("4096"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GuestImages.Flavour.named("8k"));
        assertTrue(e.getMessage().contains("'8k'") && e.getMessage().contains("4k or 64k"), e.getMessage());
        GuestSetup s = new GuestSetup("newest", List.of(), 1, "2G", Duration.ofMinutes(1), GuestImages.Flavour.K64);
        assertEquals(GuestImages.Flavour.K64, s.machine().flavour());
        String cmd = String.join(" ", s.machine().qemuCommand("k", "i", null, null));
        assertTrue(cmd.contains("-m 2G"), cmd);
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> new GuestSetup("6.1", List.of(), 1, "2G", Duration.ofMinutes(1), GuestImages.Flavour.K64));
        assertTrue(one.getMessage().contains("one flavour"), one.getMessage());
    }

    @Test
    void sizesAndCountsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> setup("6.12", 0));
        assertThrows(IllegalArgumentException.class, () -> new GuestSetup("6.12", List.of(), 1, "lots", Duration.ofMinutes(1)));
        assertEquals("1536M", new GuestSetup("6.12", List.of(), 1, "1536M", Duration.ofMinutes(1)).machine().memory());
    }
}
