package io.jvfio.emul.vfio;

import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.fs.EmuFile;

/** A device fd from VFIO_GROUP_GET_DEVICE_FD, with its file position for read/write. */
public final class DeviceFile extends EmuFile {
    final VfioPciDevice device;
    final VfioGroup group;
    private final VfioCore core;
    long pos;

    DeviceFile(VfioPciDevice device, VfioGroup group, VfioCore core) {
        this.device = device;
        this.group = group;
        this.core = core;
    }

    public VfioPciDevice device() {
        return device;
    }

    public long position() {
        return pos;
    }

    public void position(long p) {
        pos = p;
    }

    @Override
    protected void release() {
        core.deviceRelease(this);
    }

    @Override
    public String kind() {
        return "device";
    }
}
