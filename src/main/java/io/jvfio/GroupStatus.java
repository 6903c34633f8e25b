package io.jvfio;

import io.jvfio.abi.VfioUapi;

/**
 * {@code VFIO_GROUP_GET_STATUS}: the raw flags and what they mean. Immutable.
 *
 * @param flags raw {@code VFIO_GROUP_FLAGS_*} bits
 */
public record GroupStatus(int flags) {
    /**
     * All devices of the group are bound to vfio (or to nothing): the group can be used.
     *
     * @return {@code VFIO_GROUP_FLAGS_VIABLE}
     */
    public boolean viable() {
        return (flags & VfioUapi.VFIO_GROUP_FLAGS_VIABLE) != 0;
    }

    /**
     * Whether the group is attached to a container.
     *
     * @return {@code VFIO_GROUP_FLAGS_CONTAINER_SET}
     */
    public boolean containerSet() {
        return (flags & VfioUapi.VFIO_GROUP_FLAGS_CONTAINER_SET) != 0;
    }
}
