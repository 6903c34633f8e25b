package io.jvfio.emul.nvme;

import static io.jvfio.emul.device.nvme.NvmeSpec.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.emul.QemuAbortException;
import io.jvfio.emul.device.PciBus;
import io.jvfio.emul.device.PciConfig;
import io.jvfio.emul.device.nvme.NvmeFunction;
import io.jvfio.emul.device.nvme.NvmeNamespace;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The PCI function face: identity in config space, BAR0 to the controller, DMA and MSI-X to the bus. */
class NvmeFunctionTest {

    /** A bus over {@link PhbBus} with MSI-X enabled, recording vectors. */
    static final class Bus implements PciBus {
        final PhbBus phb = new PhbBus(26);
        final List<Integer> vectors = new ArrayList<>();

        @Override
        public long dmaRead(long busAddr, MemorySegment dst) {
            return phb.dma().read(busAddr, dst);
        }

        @Override
        public long dmaWrite(long busAddr, MemorySegment src) {
            return phb.dma().write(busAddr, src);
        }

        @Override
        public void setIntx(boolean level) {
            throw new AssertionError("NVMe raises no INTx here");
        }

        @Override
        public boolean msiEnabled() {
            return false;
        }

        @Override
        public void msiNotify(int vector) {
            throw new AssertionError("NVMe has no MSI capability");
        }

        @Override
        public boolean msixEnabled() {
            return true;
        }

        @Override
        public void msixNotify(int vector) {
            vectors.add(vector);
        }

        @Override
        public QemuAbortException abort(String message) {
            throw new AssertionError(message);
        }
    }

    static int cfg16(PciConfig c, int off) {
        return (c.get(off) & 0xff) | (c.get(off + 1) & 0xff) << 8;
    }

    @Test
    void identityAndMsixAsQemusNvme() {
        try (NvmeNamespace ns = NvmeNamespace.memory(1 << 20)) {
            PciConfig c = new NvmeFunction(0x0002, ns, "s").config();
            assertEquals(0x1b36, cfg16(c, 0));
            assertEquals(0x0010, cfg16(c, 2));
            assertEquals(0x02, c.get(0x08), "revision");
            assertEquals(0x010802, (c.get(0x09) & 0xff) | (c.get(0x0a) & 0xff) << 8 | (c.get(0x0b) & 0xff) << 16);
            assertEquals(16 * 1024, c.barSize(0));
            assertEquals(65, c.msixVectors());
            assertEquals(0, c.msixTableBar());
            assertEquals(0x2000, c.msixTableOffset());
            assertEquals(1, c.interruptPin());
        }
    }

    @Test
    void bar0ReachesTheControllerAndItsDmaAndMsixTheBus() {
        Bus bus = new Bus();
        try (NvmeNamespace ns = NvmeNamespace.memory(1 << 20)) {
            NvmeFunction f = new NvmeFunction(0x0006, ns, "s");
            f.attach(bus);
            assertEquals(ByteOrder.LITTLE_ENDIAN, f.barOrder());
            assertEquals(0x7ff, f.barRead(0, REG_CAP, 8) & 0xffff);
            assertEquals(0, f.barRead(0, REG_CAP + 1, 4), "unaligned: invalid, reads 0");
            assertEquals(0, f.barRead(0, 0x2000, 4), "the MSI-X table is not the controller's");
            long asq = bus.phb.alloc(4096);
            long acq = bus.phb.alloc(4096);
            f.barWrite(0, REG_AQA, 7 << 16 | 7, 4);
            f.barWrite(0, REG_ASQ, asq, 8);
            f.barWrite(0, REG_ACQ, acq, 8);
            f.barWrite(0, REG_CC, NvmeHost.CC_ENABLE, 4);
            assertEquals(CSTS_READY, f.barRead(0, REG_CSTS, 4));
            NvmeHost.Cmd get = new NvmeHost.Cmd(ADM_GET_FEATURES, 0).cdw(10, FID_NUMBER_OF_QUEUES);
            bus.phb.at(asq, 64).copyFrom(get.raw);
            f.barWrite(0, 0x1000, 1, 4);
            assertEquals(63 << 16 | 63, bus.phb.get32(acq), "the completion, by DMA through the PHB");
            assertEquals(List.of(0), bus.vectors, "and MSI-X vector 0 through the bus");
        } finally {
            bus.phb.close();
        }
    }
}
