package io.jvfio.abi;

import java.lang.foreign.GroupLayout;
import java.util.List;

/**
 * The registry of every struct jvfio binds, for the golden ABI tests and {@code jvfio abi}. Layouts
 * are written by hand (jextract is not available) and pinned against the C compiler's
 * {@code sizeof}/{@code offsetof} on x86-64 and ppc64le.
 */
public final class Structs {
    private Structs() {}

    /** One bound struct: its layout and the fields jvfio reads or writes. */
    public record Struct(String name, GroupLayout layout, List<Field> fields) {
        public long size() {
            return layout.byteSize();
        }
    }

    public static final List<Struct> ALL = List.of(
            new Struct("vfio_group_status", vfio_group_status.LAYOUT,
                    List.of(vfio_group_status.argsz, vfio_group_status.flags)),
            new Struct("vfio_device_info", vfio_device_info.LAYOUT,
                    List.of(vfio_device_info.argsz, vfio_device_info.flags, vfio_device_info.num_regions,
                            vfio_device_info.num_irqs, vfio_device_info.cap_offset)),
            new Struct("vfio_region_info", vfio_region_info.LAYOUT,
                    List.of(vfio_region_info.argsz, vfio_region_info.flags, vfio_region_info.index,
                            vfio_region_info.cap_offset, vfio_region_info.size, vfio_region_info.offset)),
            new Struct("vfio_irq_info", vfio_irq_info.LAYOUT,
                    List.of(vfio_irq_info.argsz, vfio_irq_info.flags, vfio_irq_info.index, vfio_irq_info.count)),
            new Struct("vfio_irq_set", vfio_irq_set.LAYOUT,
                    List.of(vfio_irq_set.argsz, vfio_irq_set.flags, vfio_irq_set.index, vfio_irq_set.start,
                            vfio_irq_set.count)),
            new Struct("vfio_iommu_spapr_tce_ddw_info", vfio_iommu_spapr_tce_ddw_info.LAYOUT,
                    List.of(vfio_iommu_spapr_tce_ddw_info.pgsizes,
                            vfio_iommu_spapr_tce_ddw_info.max_dynamic_windows_supported,
                            vfio_iommu_spapr_tce_ddw_info.levels)),
            new Struct("vfio_iommu_spapr_tce_info", vfio_iommu_spapr_tce_info.LAYOUT,
                    List.of(vfio_iommu_spapr_tce_info.argsz, vfio_iommu_spapr_tce_info.flags,
                            vfio_iommu_spapr_tce_info.dma32_window_start, vfio_iommu_spapr_tce_info.dma32_window_size,
                            vfio_iommu_spapr_tce_info.ddw_pgsizes,
                            vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported,
                            vfio_iommu_spapr_tce_info.ddw_levels)),
            new Struct("vfio_iommu_type1_dma_map", vfio_iommu_type1_dma_map.LAYOUT,
                    List.of(vfio_iommu_type1_dma_map.argsz, vfio_iommu_type1_dma_map.flags,
                            vfio_iommu_type1_dma_map.vaddr, vfio_iommu_type1_dma_map.iova, vfio_iommu_type1_dma_map.size)),
            new Struct("vfio_iommu_type1_dma_unmap", vfio_iommu_type1_dma_unmap.LAYOUT,
                    List.of(vfio_iommu_type1_dma_unmap.argsz, vfio_iommu_type1_dma_unmap.flags,
                            vfio_iommu_type1_dma_unmap.iova, vfio_iommu_type1_dma_unmap.size)),
            new Struct("vfio_iommu_spapr_register_memory", vfio_iommu_spapr_register_memory.LAYOUT,
                    List.of(vfio_iommu_spapr_register_memory.argsz, vfio_iommu_spapr_register_memory.flags,
                            vfio_iommu_spapr_register_memory.vaddr, vfio_iommu_spapr_register_memory.size)),
            new Struct("vfio_iommu_spapr_tce_create", vfio_iommu_spapr_tce_create.LAYOUT,
                    List.of(vfio_iommu_spapr_tce_create.argsz, vfio_iommu_spapr_tce_create.flags,
                            vfio_iommu_spapr_tce_create.page_shift, vfio_iommu_spapr_tce_create.__resv1,
                            vfio_iommu_spapr_tce_create.window_size, vfio_iommu_spapr_tce_create.levels,
                            vfio_iommu_spapr_tce_create.__resv2, vfio_iommu_spapr_tce_create.start_addr)),
            new Struct("vfio_iommu_spapr_tce_remove", vfio_iommu_spapr_tce_remove.LAYOUT,
                    List.of(vfio_iommu_spapr_tce_remove.argsz, vfio_iommu_spapr_tce_remove.flags,
                            vfio_iommu_spapr_tce_remove.start_addr)),
            new Struct("vfio_eeh_pe_err", vfio_eeh_pe_err.LAYOUT,
                    List.of(vfio_eeh_pe_err.type, vfio_eeh_pe_err.func, vfio_eeh_pe_err.addr, vfio_eeh_pe_err.mask)),
            new Struct("vfio_eeh_pe_op", vfio_eeh_pe_op.LAYOUT,
                    List.of(vfio_eeh_pe_op.argsz, vfio_eeh_pe_op.flags, vfio_eeh_pe_op.op, vfio_eeh_pe_op.err_type,
                            vfio_eeh_pe_op.err_func, vfio_eeh_pe_op.err_addr, vfio_eeh_pe_op.err_mask)),
            new Struct("vfio_pci_hot_reset_info", vfio_pci_hot_reset_info.LAYOUT,
                    List.of(vfio_pci_hot_reset_info.argsz, vfio_pci_hot_reset_info.flags, vfio_pci_hot_reset_info.count)),
            new Struct("vfio_pci_hot_reset", vfio_pci_hot_reset.LAYOUT,
                    List.of(vfio_pci_hot_reset.argsz, vfio_pci_hot_reset.flags, vfio_pci_hot_reset.count)),
            new Struct("vfio_device_ioeventfd", vfio_device_ioeventfd.LAYOUT,
                    List.of(vfio_device_ioeventfd.argsz, vfio_device_ioeventfd.flags, vfio_device_ioeventfd.offset,
                            vfio_device_ioeventfd.data, vfio_device_ioeventfd.fd)),
            new Struct("vfio_device_feature", vfio_device_feature.LAYOUT,
                    List.of(vfio_device_feature.argsz, vfio_device_feature.flags)),
            new Struct("vfio_info_cap_header", vfio_info_cap_header.LAYOUT,
                    List.of(vfio_info_cap_header.id, vfio_info_cap_header.version, vfio_info_cap_header.next)),
            new Struct("rlimit", rlimit.LAYOUT, List.of(rlimit.rlim_cur, rlimit.rlim_max)),
            new Struct("__user_cap_header_struct", __user_cap_header_struct.LAYOUT,
                    List.of(__user_cap_header_struct.version, __user_cap_header_struct.pid)),
            new Struct("__user_cap_data_struct", __user_cap_data_struct.LAYOUT,
                    List.of(__user_cap_data_struct.effective, __user_cap_data_struct.permitted,
                            __user_cap_data_struct.inheritable)),
            new Struct("pollfd", pollfd.LAYOUT, List.of(pollfd.fd, pollfd.events, pollfd.revents)));
}
