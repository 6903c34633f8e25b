package io.jvfio.emul.device;

/**
 * A PCI function's configuration space as the vfio-pci config region presents it (QEMU's
 * {@code PCIDevice} config and write masks, hw/pci/pci.c, seen through the virtualization of
 * drivers/vfio/pci/vfio_pci_config.c): identity, the command register as the firmware left it,
 * virtualized 32-bit memory BARs, the interrupt pin and the MSI, MSI-X and PCI Express
 * capabilities, chained from 0x40 in that order. Built with {@link #builder}.
 *
 * <p>Writable: the command register (IO, MEM, MASTER, PARITY, SERR, INTX_DISABLE), the BARs (vfio
 * keeps the size alignment, flags 0: 32-bit non-prefetchable memory), cache line size, latency
 * timer, interrupt line, MSI enable, multiple message enable, address and data, and MSI-X enable
 * and function mask. The rest is read-only, an approximation of vfio's full virtualization (see the
 * package notes).
 */
public final class PciConfig {
    /** Conventional PCI config space. */
    public static final int SIZE = 256;
    /** PCI Express extended config space. */
    public static final int PCIE_SIZE = 4096;
    public static final int NUM_BARS = 6;
    public static final int COMMAND = 0x04;
    public static final int CMD_MEMORY = 0x2;
    public static final int CMD_MASTER = 0x4;
    public static final int CMD_INTX_DISABLE = 0x400;
    private static final int CMD_WMASK = 0x0547;
    private static final int STATUS = 0x06;
    private static final int STATUS_CAP_LIST = 0x0010;
    private static final int BAR0 = 0x10;
    private static final int CAP_PTR = 0x34;
    private static final int INTERRUPT_PIN = 0x3d;
    private static final int CAP_ID_MSI = 0x05;
    private static final int CAP_ID_MSIX = 0x11;
    private static final int CAP_ID_EXP = 0x10;
    private static final int MSI_FLAGS_64BIT = 0x0080;
    private static final int MSI_FLAGS_QMASK = 0x000e;
    private static final int MSI_FLAGS_WMASK = 0x71; // enable, multiple message enable
    private static final int MSIX_FLAGS_QSIZE = 0x07ff;
    private static final int MSIX_BIR = 0x7;
    private static final long MSIX_ENTRY_SIZE = 16;
    private static final int MSIX_FLAGS_WMASK_HI = 0xc0; // enable, function mask (high byte)
    private static final int FIRST_CAP = 0x40;
    private static final long FIRST_BAR_ADDRESS = 0x80000000L; // the PHB's 32-bit window (to check)

    private final byte[] cfg;
    private final long[] barSizes;
    private final int msi; // capability offsets, 0 when absent
    private final int msix;
    private final int exp;
    private byte[] saved;

    private PciConfig(Builder b) {
        cfg = new byte[b.pcie ? PCIE_SIZE : SIZE];
        barSizes = b.barSizes.clone();
        put16(0x00, b.vendor);
        put16(0x02, b.device);
        put16(COMMAND, b.command); // as the guest reads it through vfio
        cfg[0x08] = (byte) b.revision;
        cfg[0x09] = (byte) b.classCode;
        cfg[0x0a] = (byte) (b.classCode >>> 8);
        cfg[0x0b] = (byte) (b.classCode >>> 16);
        long address = FIRST_BAR_ADDRESS;
        for (int i = 0; i < NUM_BARS; i++) {
            if (barSizes[i] != 0) {
                address = (address + barSizes[i] - 1) & -barSizes[i];
                put32(BAR0 + 4 * i, (int) address);
                address += barSizes[i];
            }
        }
        put16(0x2c, b.subsystemVendor);
        put16(0x2e, b.subsystem);
        cfg[INTERRUPT_PIN] = (byte) b.interruptPin;
        int at = FIRST_CAP;
        int prev = CAP_PTR;
        if (b.msiVectors > 0) {
            msi = at;
            prev = cap(prev, at, CAP_ID_MSI);
            put16(at + 2, MSI_FLAGS_64BIT | (Integer.numberOfTrailingZeros(b.msiVectors) << 1));
            at += 14 + 2; // 64-bit address and data, padded to the dword
        } else {
            msi = 0;
        }
        if (b.msixVectors > 0) {
            msix = at;
            prev = cap(prev, at, CAP_ID_MSIX);
            put16(at + 2, b.msixVectors - 1);
            put32(at + 4, (int) b.msixTableOffset | b.msixTableBar);
            put32(at + 8, (int) b.msixPbaOffset | b.msixPbaBar);
            at += 12;
        } else {
            msix = 0;
        }
        if (b.pcie) {
            exp = at;
            cap(prev, at, CAP_ID_EXP);
            put16(at + 2, 0x0002); // version 2, endpoint
        } else {
            exp = 0;
        }
        if (msi != 0 || msix != 0 || exp != 0) {
            put16(STATUS, STATUS_CAP_LIST);
        }
    }

    /** Links a capability at {@code at} after the pointer at {@code prev}; returns its next pointer. */
    private int cap(int prev, int at, int id) {
        cfg[prev] = (byte) at;
        cfg[at] = (byte) id;
        return at + 1;
    }

    /** A builder for a function's config space; everything not set reads 0. */
    public static Builder builder(int vendor, int device) {
        return new Builder(vendor, device);
    }

    /** Identity, BARs, interrupt pin and capabilities of a {@link PciConfig}. */
    public static final class Builder {
        private final int vendor;
        private final int device;
        private int revision;
        private int classCode;
        private int subsystemVendor;
        private int subsystem;
        private int command;
        private final long[] barSizes = new long[NUM_BARS];
        private int interruptPin;
        private int msiVectors;
        private int msixVectors;
        private int msixTableBar;
        private long msixTableOffset;
        private int msixPbaBar;
        private long msixPbaOffset;
        private boolean pcie;

        private Builder(int vendor, int device) {
            this.vendor = vendor;
            this.device = device;
        }

        public Builder revision(int r) {
            revision = r;
            return this;
        }

        /** The 24-bit class code: base class, subclass, programming interface (e.g. 0x010802, NVMe). */
        public Builder classCode(int c) {
            classCode = c;
            return this;
        }

        public Builder subsystem(int vendorId, int id) {
            subsystemVendor = vendorId;
            subsystem = id;
            return this;
        }

        /** The command register as the firmware left it ({@code Profile.Firmware#initialPciCommand}). */
        public Builder command(int c) {
            command = c;
            return this;
        }

        /** A 32-bit non-prefetchable memory BAR of {@code size} bytes (a power of two). */
        public Builder bar(int index, long size) {
            if (Long.bitCount(size) != 1) {
                throw new IllegalArgumentException("BAR size must be a power of two: " + size);
            }
            barSizes[index] = size;
            return this;
        }

        /** INTx on pin 1 (A) to 4 (D). */
        public Builder interruptPin(int pin) {
            interruptPin = pin;
            return this;
        }

        /** A 64-bit MSI capability with {@code vectors} (a power of two, at most 32) vectors. */
        public Builder msi(int vectors) {
            if (Integer.bitCount(vectors) != 1 || vectors > 32) {
                throw new IllegalArgumentException("MSI vectors must be 1, 2, 4, 8, 16 or 32: " + vectors);
            }
            msiVectors = vectors;
            return this;
        }

        /** An MSI-X capability of {@code vectors} (1 to 2048); table and PBA at BAR offsets (8-byte aligned). */
        public Builder msix(int vectors, int tableBar, long tableOffset, int pbaBar, long pbaOffset) {
            if (vectors < 1 || vectors > MSIX_FLAGS_QSIZE + 1) {
                throw new IllegalArgumentException("MSI-X vectors must be 1 to 2048: " + vectors);
            }
            msixVectors = vectors;
            msixTableBar = tableBar;
            msixTableOffset = tableOffset;
            msixPbaBar = pbaBar;
            msixPbaOffset = pbaOffset;
            return this;
        }

        /** A PCI Express endpoint: 4096 bytes of config space and the ERR interrupt. */
        public Builder pcie() {
            pcie = true;
            return this;
        }

        public PciConfig build() {
            return new PciConfig(this);
        }
    }

    /** The config region's size: 256, or 4096 for PCI Express. */
    public int size() {
        return cfg.length;
    }

    /** The size of BAR {@code index} (0 to 5), 0 when the function has none. */
    public long barSize(int index) {
        return barSizes[index];
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

    /** The interrupt pin (0: no INTx). */
    public int interruptPin() {
        return cfg[INTERRUPT_PIN];
    }

    /** {@code vfio_pci_get_irq_count} for MSI: {@code 1 << multiple_message_capable}, 0 without the capability. */
    public int msiVectors() {
        return msi == 0 ? 0 : 1 << ((get16(msi + 2) & MSI_FLAGS_QMASK) >>> 1);
    }

    /** {@code vfio_pci_get_irq_count} for MSI-X: table size + 1, 0 without the capability. */
    public int msixVectors() {
        return msix == 0 ? 0 : (get16(msix + 2) & MSIX_FLAGS_QSIZE) + 1;
    }

    /** The BAR holding the MSI-X table ({@code PCI_MSIX_TABLE_BIR}), -1 without MSI-X ({@code vdev->msix_bar}). */
    public int msixTableBar() {
        return msix == 0 ? -1 : get32(msix + 4) & MSIX_BIR;
    }

    /** The MSI-X table's offset in its BAR ({@code vdev->msix_offset}). */
    public long msixTableOffset() {
        return Integer.toUnsignedLong(get32(msix + 4) & ~MSIX_BIR);
    }

    /** The MSI-X table's size in bytes: 16 per vector ({@code vdev->msix_size}). */
    public long msixTableSize() {
        return MSIX_ENTRY_SIZE * msixVectors();
    }

    /** {@code pci_is_pcie}. */
    public boolean pcie() {
        return exp != 0;
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
        } else if (off >= BAR0 && off < BAR0 + 4 * NUM_BARS) {
            int bar = (off - BAR0) / 4;
            if (barSizes[bar] != 0) {
                cfg[off] = v;
                int reg = BAR0 + 4 * bar;
                put32(reg, get32(reg) & (int) -barSizes[bar]); // memory, 32-bit, non-prefetchable: flags 0
            }
        } else if (off == 0x0c || off == 0x0d || off == 0x3c) {
            cfg[off] = v; // cache line size, latency timer, interrupt line
        } else if (msi != 0 && off == msi + 2) {
            cfg[off] = (byte) ((cfg[off] & ~MSI_FLAGS_WMASK) | (v & MSI_FLAGS_WMASK));
        } else if (msi != 0 && off >= msi + 4 && off < msi + 14) {
            cfg[off] = v; // message address (64-bit) and data
        } else if (msix != 0 && off == msix + 3) {
            cfg[off] = (byte) ((cfg[off] & ~MSIX_FLAGS_WMASK_HI) | (v & MSIX_FLAGS_WMASK_HI));
        }
        // everything else is read-only (absent BARs and the ROM BAR read 0: no such resources)
    }

    /** pci_save_state at the first open. */
    public void save() {
        saved = cfg.clone();
    }

    /** pci_restore_state at the last close, then pci_disable_device (bus master off). */
    public void restoreAndDisable() {
        if (saved != null) {
            System.arraycopy(saved, 0, cfg, 0, cfg.length);
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
