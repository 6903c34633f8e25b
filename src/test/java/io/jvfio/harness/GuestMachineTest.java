package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GuestMachineTest {
    @Test
    void defaultCommandLine() {
        List<String> a = GuestMachine.builder().qemuBinary("qemu-system-ppc64").build()
                .qemuCommand("vmlinux", "initrd", "jvfio-guest-x", "/p.pid");
        String s = String.join(" ", a);
        assertTrue(s.startsWith("qemu-system-ppc64 -name jvfio-guest-x -M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,"
                + "cap-ibs=broken,cap-ccf-assist=off -cpu power9 -smp 1 -accel tcg -m 2G -nographic -nodefaults "
                + "-serial mon:stdio -no-reboot -kernel vmlinux -initrd initrd"), s);
        assertEquals("console=hvc0 quiet loglevel=4", a.get(a.indexOf("-append") + 1));
        assertTrue(s.contains("-device edu,dma_mask=0xffffffffffffffff"), s);
        assertTrue(s.endsWith("-pidfile /p.pid"), s);
    }

    @Test
    void secondPhbGlobalsAndExtras() {
        GuestMachine m = GuestMachine.builder().secondPhb(true).ddw(false).dmaWindowSize(0x8000_0000L)
                .pageSizes(0x1011000).dma64WindowAddr(0x1000_0000_0000_0000L).kernelArg("disable_radix")
                .machineOption("cap-hpt-max-page-size=16M").eduDmaMask(0xffff_ffffL).build();
        String s = String.join(" ", m.qemuCommand("k", "i", null, null));
        assertTrue(s.contains("-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off,"
                + "cap-hpt-max-page-size=16M "), s);
        assertTrue(s.contains("-device spapr-pci-host-bridge,index=1,id=phb1 -device edu,bus=phb1.0,dma_mask=0xffffffff"), s);
        assertTrue(s.contains("-global spapr-pci-host-bridge.ddw=off"), s);
        assertTrue(s.contains("-global spapr-pci-host-bridge.dma_win_size=0x80000000"), s);
        assertTrue(s.contains("-global spapr-pci-host-bridge.pgsz=0x1011000"), s);
        assertTrue(s.contains("-global spapr-pci-host-bridge.dma64_win_addr=0x1000000000000000"), s);
        assertTrue(m.kernelCommandLine().endsWith(" disable_radix"));
        assertEquals(m, m.toBuilder().build());
    }
}
