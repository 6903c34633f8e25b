package io.jvfio.emul.vfio;

import io.jvfio.emul.fs.EmuFile;

/**
 * Guest kernel, VFIO core: the emulated process's open file of {@code /dev/vfio/vfio} (the
 * {@code struct file} with {@code vfio_fops}, drivers/vfio/container.c); its private data is the
 * {@link VfioContainer}.
 */
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
