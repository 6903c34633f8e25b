package io.jvfio.emul.vfio;

import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.pseries.PseriesPe;
import java.util.List;

/** {@code struct vfio_group} (drivers/vfio/group.c): one IOMMU group, i.e. one pSeries PE. */
public final class VfioGroup {
    final int number;
    final PseriesPe pe;
    final List<VfioPciDevice> devices;
    /** {@code group->iommu_group == NULL}: the last device was removed (DLPAR); the group fd stays open. */
    boolean gone;
    VfioContainer container;
    int containerUsers;
    GroupFile openedFile;

    VfioGroup(int number, PseriesPe pe, List<VfioPciDevice> devices) {
        this.number = number;
        this.pe = pe;
        this.devices = new java.util.ArrayList<>(devices);
    }

    public int number() {
        return number;
    }

    public PseriesPe pe() {
        return pe;
    }

    public List<VfioPciDevice> devices() {
        return List.copyOf(devices);
    }

    public VfioContainer container() {
        return container;
    }

    public boolean open() {
        return openedFile != null;
    }
}
