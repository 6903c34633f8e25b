package io.jvfio.emul.device;

import static io.jvfio.backend.Errno.EFAULT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The config region of a vfio-pci device (drivers/vfio/pci/vfio_pci_config.c, Linux 6.12): byte
 * reads and writes of the function's {@link PciConfig}, and the one virtualization with a side
 * effect, PCI_COMMAND's INTx disable, which masks or unmasks the interrupt ({@link VfioPciIntrs}).
 */
final class VfioPciConfigRegion {
    private final PciConfig config;
    private final VfioPciIntrs intrs;

    VfioPciConfigRegion(PciConfig config, VfioPciIntrs intrs) {
        this.config = config;
        this.intrs = intrs;
    }

    /** {@code vfio_pci_config_rw}: bytes transferred, or -EFAULT outside the config space. */
    long rw(MemorySegment buf, long off, boolean write) {
        long count = buf.byteSize();
        if (off >= config.size() || off + count > config.size()) {
            return -EFAULT;
        }
        int prevCmd = config.command();
        for (int i = 0; i < count; i++) {
            if (write) {
                config.write((int) off + i, buf.get(ValueLayout.JAVA_BYTE, i));
            } else {
                buf.set(ValueLayout.JAVA_BYTE, i, config.get((int) off + i));
            }
        }
        if (write) {
            boolean was = (prevCmd & PciConfig.CMD_INTX_DISABLE) != 0;
            boolean is = config.intxDisabled();
            if (was != is) {
                intrs.intx.intxDisableChanged(is);
            }
        }
        return count;
    }
}
