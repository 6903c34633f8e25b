package io.jvfio.emul.vfio;

import io.jvfio.emul.spapr.TceContainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest kernel, VFIO core: {@code struct vfio_container} (drivers/vfio/container.c), the object
 * behind a {@link ContainerFile}: its groups and, after SET_IOMMU, the
 * IOMMU driver's data. Reference counted: the container fd holds one reference, each attached
 * group one.
 */
public final class VfioContainer {
    final int id;
    TceContainer iommu;
    final List<VfioGroup> groups = new ArrayList<>(); // index 0 = list head
    long kref = 1;

    VfioContainer(int id) {
        this.id = id;
    }

    /** The fd number the container was opened with (its identity in inspections). */
    public int id() {
        return id;
    }

    /** The IOMMU driver's container, or null before SET_IOMMU (and again after the last group left). */
    public TceContainer iommu() {
        return iommu;
    }

    public List<VfioGroup> groups() {
        return List.copyOf(groups);
    }

    void get() {
        kref++;
    }

    void put() {
        kref--;
    }

    /** True while the container fd or a group holds it. */
    public boolean alive() {
        return kref > 0;
    }
}
