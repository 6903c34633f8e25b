package io.jvfio.emul.vfio;

import io.jvfio.emul.fs.EmuFile;

/** An open {@code /dev/vfio/vfio}. */
public final class ContainerFile extends EmuFile {
    final VfioContainer container;

    ContainerFile(VfioContainer container) {
        this.container = container;
    }

    public VfioContainer container() {
        return container;
    }

    @Override
    protected void release() {
        container.put(); // vfio_fops_release
    }

    @Override
    public String kind() {
        return "container";
    }
}
