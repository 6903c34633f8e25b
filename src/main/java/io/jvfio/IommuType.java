package io.jvfio;

import io.jvfio.abi.VfioUapi;

/** The IOMMU types a container can be set to ({@code VFIO_SET_IOMMU}). POWER has the two SPAPR ones. Immutable. */
public enum IommuType {
    /** SPAPR TCE v1: the default 32-bit window only; {@code enable()} before mapping; pages pinned per map. */
    SPAPR_TCE_V1(VfioUapi.VFIO_SPAPR_TCE_IOMMU),
    /** SPAPR TCE v2: memory pre-registration and dynamic DMA windows (DDW). */
    SPAPR_TCE_V2(VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU),
    /** x86/ARM type1, for completeness: the POWER kernel does not build it. */
    TYPE1(VfioUapi.VFIO_TYPE1_IOMMU),
    /** x86/ARM type1 v2, for completeness. */
    TYPE1V2(VfioUapi.VFIO_TYPE1v2_IOMMU);

    private final int value;

    IommuType(int value) {
        this.value = value;
    }

    /**
     * The value passed to VFIO_SET_IOMMU and VFIO_CHECK_EXTENSION.
     *
     * @return the uapi constant, e.g. 7 for {@code VFIO_SPAPR_TCE_v2_IOMMU}
     */
    public int value() {
        return value;
    }

    /**
     * Whether this is one of the POWER types, which have TCE windows.
     *
     * @return true for {@link #SPAPR_TCE_V1} and {@link #SPAPR_TCE_V2}
     */
    public boolean isSpapr() {
        return this == SPAPR_TCE_V1 || this == SPAPR_TCE_V2;
    }
}
