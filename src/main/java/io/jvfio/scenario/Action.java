package io.jvfio.scenario;

/**
 * What one step does, with its arguments parsed. The raw overrides ({@code argsz=}, {@code flags=})
 * live on the {@link Step}, since every ioctl op accepts them.
 */
public sealed interface Action {
    Op op();

    record ApiVersion() implements Action {
        public Op op() { return Op.API_VERSION; }
    }

    /** VFIO_CHECK_EXTENSION(extension). */
    record CheckExtension(long extension) implements Action {
        public Op op() { return Op.CHECK_EXTENSION; }
    }

    /** Opens /dev/vfio/{@code group}. */
    record OpenGroup(long group) implements Action {
        public Op op() { return Op.OPEN_GROUP; }

        public String path() {
            return "/dev/vfio/" + Long.toUnsignedString(group);
        }
    }

    record GroupStatus() implements Action {
        public Op op() { return Op.GROUP_STATUS; }
    }

    record SetContainer() implements Action {
        public Op op() { return Op.SET_CONTAINER; }
    }

    record UnsetContainer() implements Action {
        public Op op() { return Op.UNSET_CONTAINER; }
    }

    /** VFIO_SET_IOMMU(type). */
    record SetIommu(long type) implements Action {
        public Op op() { return Op.SET_IOMMU; }
    }

    record TceInfo() implements Action {
        public Op op() { return Op.TCE_INFO; }
    }

    record Enable() implements Action {
        public Op op() { return Op.ENABLE; }
    }

    record Disable() implements Action {
        public Op op() { return Op.DISABLE; }
    }

    /** Anonymous process memory named {@code name}. */
    record Alloc(String name, long size, boolean hugetlb) implements Action {
        public Op op() { return Op.ALLOC; }
    }

    record Free(String name) implements Action {
        public Op op() { return Op.FREE; }
    }

    /** {@code offset}/{@code size} null: the whole buffer. */
    record Register(String name, Long offset, Long size) implements Action {
        public Op op() { return Op.REGISTER; }
    }

    record Unregister(String name, Long offset, Long size) implements Action {
        public Op op() { return Op.UNREGISTER; }
    }

    /** {@code flags}: the VFIO_DMA_MAP_FLAG_* bits derived from r/w/rw. */
    record Map(long iova, long size, String name, long offset, int flags) implements Action {
        public Op op() { return Op.MAP; }
    }

    record Unmap(long iova, long size) implements Action {
        public Op op() { return Op.UNMAP; }
    }

    record Create(int pageShift, long windowSize, int levels) implements Action {
        public Op op() { return Op.CREATE; }
    }

    record Remove(long start) implements Action {
        public Op op() { return Op.REMOVE; }
    }

    /** VFIO_GROUP_GET_DEVICE_FD(name). */
    record Device(String address) implements Action {
        public Op op() { return Op.DEVICE; }
    }

    record DeviceInfo() implements Action {
        public Op op() { return Op.DEVICE_INFO; }
    }

    record RegionInfo(int index) implements Action {
        public Op op() { return Op.REGION_INFO; }
    }

    record CloseDevice() implements Action {
        public Op op() { return Op.CLOSE_DEVICE; }
    }

    /** The group {@code group} opened last becomes current (fd -1 if it never opened). */
    record UseGroup(long group) implements Action {
        public Op op() { return Op.GROUP; }
    }

    /** Container {@code container} (1 is the one opened before step 1) becomes current, opened on first use. */
    record UseContainer(long container) implements Action {
        public Op op() { return Op.CONTAINER; }
    }

    /** VFIO_EEH_PE_OP with {@code op} = a VFIO_EEH_PE_* value. */
    record Eeh(int peOp) implements Action {
        public Op op() { return Op.EEH; }
    }
}
