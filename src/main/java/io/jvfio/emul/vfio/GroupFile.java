package io.jvfio.emul.vfio;

import io.jvfio.emul.fs.EmuFile;

/** An open {@code /dev/vfio/N}. Device fds hold a reference, so it is released only with the last of them. */
public final class GroupFile extends EmuFile {
    final VfioGroup group;
    private final VfioCore core;

    GroupFile(VfioGroup group, VfioCore core) {
        this.group = group;
        this.core = core;
    }

    public VfioGroup group() {
        return group;
    }

    @Override
    protected void release() {
        core.groupRelease(this);
    }

    @Override
    public String kind() {
        return "group";
    }
}
