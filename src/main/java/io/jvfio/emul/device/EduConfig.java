package io.jvfio.emul.device;

/**
 * The edu device's PCI configuration space as the vfio-pci config region presents it (256 bytes,
 * conventional PCI): identity, the command register (as the firmware left it: 0x0002 under VOF,
 * 0x0102 under SLOF), a virtualized BAR0, the interrupt pin and QEMU's MSI capability at 0x40.
 * Writes follow QEMU's write mask for the command register (IO, MEM, MASTER, PARITY, SERR,
 * INTX_DISABLE) and vfio's BAR virtualization; the rest of
 * the header is read-only. An approximation of vfio's full virtualization (see the package notes).
 */
public final class EduConfig {
    public static final int SIZE = 256;
    public static final int COMMAND = 0x04;
    public static final int CMD_MEMORY = 0x2;
    public static final int CMD_MASTER = 0x4;
    public static final int CMD_INTX_DISABLE = 0x400;
    private static final int CMD_WMASK = 0x0547;
    private static final int BAR0 = 0x10;
    private static final long BAR0_SIZE = 1 << 20;
    private static final int MSI = 0x40;

    private final byte[] cfg = new byte[SIZE];
    private byte[] saved;

    /** @param initialCommand the PCI command register the firmware left ({@code Profile.Firmware#initialPciCommand}) */
    public EduConfig(int initialCommand) {
        put16(0x00, 0x1234); // vendor
        put16(0x02, 0x11e8); // device
        put16(COMMAND, initialCommand); // as the guest reads it through vfio
        put16(0x06, 0x0010); // status: capability list
        cfg[0x08] = 0x10; // revision
        cfg[0x0a] = (byte) 0xff; // PCI_CLASS_OTHERS (0x00ff): subclass 0xff, class 0x00
        put32(BAR0, 0x80000000); // 32-bit memory BAR at the PHB's 32-bit window (to check)
        put16(0x2c, 0x1af4); // subsystem vendor (QEMU's default)
        put16(0x2e, 0x1100); // subsystem id
        cfg[0x34] = MSI; // capabilities pointer
        cfg[0x3d] = 1; // interrupt pin A
        cfg[MSI] = 0x05; // MSI
        cfg[MSI + 1] = 0x00; // end of list
        put16(MSI + 2, 0x0080); // 64-bit, one vector
    }

    public int command() {
        return get16(COMMAND);
    }

    public boolean memoryEnabled() {
        return (command() & CMD_MEMORY) != 0;
    }

    public boolean busMaster() {
        return (command() & CMD_MASTER) != 0;
    }

    public boolean intxDisabled() {
        return (command() & CMD_INTX_DISABLE) != 0;
    }

    public byte get(int off) {
        return cfg[off];
    }

    /** One config write of a byte, with the masks. */
    public void write(int off, byte v) {
        if (off == COMMAND) {
            cfg[off] = (byte) ((cfg[off] & ~(CMD_WMASK & 0xff)) | (v & CMD_WMASK & 0xff));
        } else if (off == COMMAND + 1) {
            cfg[off] = (byte) ((cfg[off] & ~(CMD_WMASK >>> 8)) | (v & (CMD_WMASK >>> 8)));
        } else if (off >= BAR0 && off < BAR0 + 4) {
            cfg[off] = v;
            int bar = get32(BAR0) & (int) -BAR0_SIZE; // memory, 32-bit, non-prefetchable: flags 0
            put32(BAR0, bar);
        } else if (off == 0x0c || off == 0x0d || off == 0x3c) {
            cfg[off] = v; // cache line size, latency timer, interrupt line
        } else if (off == MSI + 2) {
            cfg[off] = (byte) ((cfg[off] & ~0x71) | (v & 0x71)); // enable, multiple message enable
        } else if (off >= MSI + 4 && off < MSI + 14) {
            cfg[off] = v; // message address (64-bit) and data
        }
        // everything else is read-only (BAR1-5 and the ROM BAR read 0: no such resources)
    }

    /** pci_save_state at the first open. */
    public void save() {
        saved = cfg.clone();
    }

    /** pci_restore_state at the last close, then pci_disable_device (bus master off). */
    public void restoreAndDisable() {
        if (saved != null) {
            System.arraycopy(saved, 0, cfg, 0, SIZE);
        }
        put16(COMMAND, command() & ~CMD_MASTER);
    }

    int get16(int off) {
        return (cfg[off] & 0xff) | (cfg[off + 1] & 0xff) << 8;
    }

    int get32(int off) {
        return get16(off) | get16(off + 2) << 16;
    }

    private void put16(int off, int v) {
        cfg[off] = (byte) v;
        cfg[off + 1] = (byte) (v >>> 8);
    }

    private void put32(int off, int v) {
        put16(off, v);
        put16(off + 2, v >>> 16);
    }
}
