package io.jvfio;

import io.jvfio.abi.VfioUapi;

/** {@code VFIO_GROUP_GET_STATUS}: the raw flags and what they mean. */
public record GroupStatus(int flags) {
    /** All devices of the group are bound to vfio (or to nothing): the group can be used. */
    public boolean viable() {
        return (flags & VfioUapi.VFIO_GROUP_FLAGS_VIABLE) != 0;
    }

    public boolean containerSet() {
        return (flags & VfioUapi.VFIO_GROUP_FLAGS_CONTAINER_SET) != 0;
    }
}
