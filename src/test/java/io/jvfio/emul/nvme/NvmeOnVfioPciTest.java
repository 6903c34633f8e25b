package io.jvfio.emul.nvme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Bar;
import io.jvfio.Container;
import io.jvfio.Device;
import io.jvfio.DeviceInfo;
import io.jvfio.Group;
import io.jvfio.IommuType;
import io.jvfio.Region;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.abi.VfioUapi;
import io.jvfio.emul.DeviceSpec;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emulated NVMe controller as vfio-pci shows it, against what the guest showed for QEMU's nvme
 * (series-and-platform-facts.md: DEVICE_GET_INFO flags PCI|RESET, 9 regions, 5 IRQ indexes, BAR0
 * 16 KiB and mmappable, alone in IOMMU group 1); edu beside it keeps no RESET.
 */
class NvmeOnVfioPciTest {
    private static final long CAP = 0x00, CC = 0x14, CSTS = 0x1c, AQA = 0x24;

    @Test
    void theControllerIsAVfioPciDeviceInAGroupOfItsOwn() throws Exception {
        try (Vfio vfio = Vfio.over(new EmulatedBackend(Profile.named(Profile.QEMU_PSERIES_NVME)));
             Container c = vfio.openContainer();
             Group g = vfio.openGroup(1)) {
            g.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            try (Device dev = g.openDevice("0001:00:00.0")) {
                DeviceInfo info = dev.info();
                assertTrue(info.isPci());
                assertTrue(info.supportsReset(), "QEMU's nvme has FLR: flags " + info.flags());
                assertEquals(9, info.numRegions());
                assertEquals(5, info.numIrqs());
                Region bar0 = dev.region(VfioUapi.VFIO_PCI_BAR0_REGION_INDEX);
                assertEquals(16 << 10, bar0.size());
                assertTrue(bar0.mappable());
                assertEquals(0x1b36, dev.readConfig16(0x00));
                assertEquals(0x0010, dev.readConfig16(0x02));
                assertEquals(0x0108, dev.readConfig16(0x0a), "class: mass storage, non-volatile memory");
                assertEquals(65, dev.irqInfo(VfioUapi.VFIO_PCI_MSIX_IRQ_INDEX).count());
            }
        }
    }

    @Test
    void resetTakesTheControllerBackToPowerOnWhileEduHasNoReset() throws Exception {
        try (Vfio vfio = Vfio.over(new EmulatedBackend(Profile.named(Profile.QEMU_PSERIES_NVME)));
             Container c = vfio.openContainer();
             Group nvme = vfio.openGroup(1);
             Group edu = vfio.openGroup(0)) {
            nvme.attach(c);
            edu.attach(c);
            c.setIommu(IommuType.SPAPR_TCE_V2);
            try (Device dev = nvme.openDevice("0001:00:00.0"); Bar bar = dev.mapBar(0)) {
                dev.writeConfig16(0x04, dev.readConfig16(0x04) | 0x6); // memory + bus master
                assertEquals(0x7ff, bar.read64(CAP) & 0xffff, "CAP.MQES as QEMU's nvme");
                bar.write32(AQA, 0x000f000f);
                assertEquals(0x000f000f, bar.read32(AQA));
                dev.reset();
                assertEquals(0, bar.read32(CC), "CC cleared by the function reset");
                assertEquals(0, bar.read32(CSTS) & 1, "not ready after the reset");
            }
            try (Device dev = edu.openDevice("0000:00:00.0")) {
                assertFalse(dev.info().supportsReset());
                VfioException e = org.junit.jupiter.api.Assertions.assertThrows(VfioException.class, dev::reset);
                assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
            }
        }
    }

    @Test
    void anImageBackedNamespaceIsCreatedWithItsSizeAndKept(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("ns.img");
        Profile p = Profile.builder().name("nvme-image")
                .group(0, DeviceSpec.edu("0000:00:00.0"))
                .group(1, DeviceSpec.nvme("0001:00:00.0", image, 1 << 20))
                .build();
        try (Vfio vfio = Vfio.over(new EmulatedBackend(p))) {
            assertEquals(1 << 20, Files.size(image), "created with the asked size");
        }
        Files.write(image, new byte[4 << 20]);
        Profile again = p.toBuilder().build();
        try (Vfio vfio = Vfio.over(new EmulatedBackend(again))) {
            assertEquals(4 << 20, Files.size(image), "an existing image keeps its size: it is the namespace's");
        }
    }
}
