/*
 * jvfio_uapi.h: exactly the Linux UAPI that jvfio binds, as X-macro lists.
 *
 * This header is the contract between the C golden dumper (native/abi_dump.c) and the hand-written
 * Java layouts in io.jvfio.abi. The dumper prints the C compiler's view (request numbers, sizeof,
 * offsetof, field sizes, constant values) of every item listed here, once per architecture
 * (x86-64 natively, ppc64le through the cross compiler), and AbiGoldenTest asserts that the Java side
 * names the same items with the same values. Adding a struct, field, ioctl or constant to the Java
 * side means adding it here too; the test fails until both sides agree.
 *
 * Names are the kernel's. Field entries are C member designators (ddw.pgsizes, err.type), written
 * X(struct, member) with the designator as a single macro argument; the dumper stringifies it.
 * Lists are in the Java declaration order (VfioIoctl, Structs.ALL, VfioUapi).
 */
#ifndef JVFIO_UAPI_H
#define JVFIO_UAPI_H

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/resource.h>

/*
 * Not UAPI: the kernel's vfio-pci region offset shift (VFIO_PCI_OFFSET_SHIFT in
 * include/linux/vfio_pci_core.h) is a fixed user ABI that <linux/vfio.h> does not export. Pinned here
 * by hand; if a future <linux/vfio.h> defines it, the kernel's value wins and the golden test
 * compares against that.
 */
#ifndef VFIO_PCI_OFFSET_SHIFT
#define VFIO_PCI_OFFSET_SHIFT 40
#endif

/* The VFIO ioctls, in io.jvfio.abi.VfioIoctl order (numbers repeat across fd kinds). */
#define JVFIO_IOCTLS(X) \
	X(VFIO_GET_API_VERSION) \
	X(VFIO_CHECK_EXTENSION) \
	X(VFIO_SET_IOMMU) \
	X(VFIO_GROUP_GET_STATUS) \
	X(VFIO_GROUP_SET_CONTAINER) \
	X(VFIO_GROUP_UNSET_CONTAINER) \
	X(VFIO_GROUP_GET_DEVICE_FD) \
	X(VFIO_DEVICE_GET_INFO) \
	X(VFIO_DEVICE_GET_REGION_INFO) \
	X(VFIO_DEVICE_GET_IRQ_INFO) \
	X(VFIO_DEVICE_SET_IRQS) \
	X(VFIO_DEVICE_RESET) \
	X(VFIO_IOMMU_SPAPR_TCE_GET_INFO) \
	X(VFIO_IOMMU_MAP_DMA) \
	X(VFIO_IOMMU_UNMAP_DMA) \
	X(VFIO_IOMMU_ENABLE) \
	X(VFIO_IOMMU_DISABLE) \
	X(VFIO_IOMMU_SPAPR_REGISTER_MEMORY) \
	X(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY) \
	X(VFIO_IOMMU_SPAPR_TCE_CREATE) \
	X(VFIO_IOMMU_SPAPR_TCE_REMOVE) \
	X(VFIO_EEH_PE_OP) \
	X(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) \
	X(VFIO_DEVICE_PCI_HOT_RESET) \
	X(VFIO_DEVICE_IOEVENTFD) \
	X(VFIO_DEVICE_FEATURE)

/* The structs, in io.jvfio.abi.Structs.ALL order. Each has a JVFIO_FIELDS_<struct>(X) list below. */
#define JVFIO_STRUCTS(X) \
	X(vfio_group_status) \
	X(vfio_device_info) \
	X(vfio_region_info) \
	X(vfio_irq_info) \
	X(vfio_irq_set) \
	X(vfio_iommu_spapr_tce_ddw_info) \
	X(vfio_iommu_spapr_tce_info) \
	X(vfio_iommu_type1_dma_map) \
	X(vfio_iommu_type1_dma_unmap) \
	X(vfio_iommu_spapr_register_memory) \
	X(vfio_iommu_spapr_tce_create) \
	X(vfio_iommu_spapr_tce_remove) \
	X(vfio_eeh_pe_err) \
	X(vfio_eeh_pe_op) \
	X(vfio_pci_hot_reset_info) \
	X(vfio_pci_hot_reset) \
	X(vfio_device_ioeventfd) \
	X(vfio_device_feature) \
	X(vfio_info_cap_header) \
	X(rlimit) \
	X(__user_cap_header_struct) \
	X(__user_cap_data_struct) \
	X(pollfd)

#define JVFIO_FIELDS_vfio_group_status(X) \
	X(vfio_group_status, argsz) \
	X(vfio_group_status, flags)

#define JVFIO_FIELDS_vfio_device_info(X) \
	X(vfio_device_info, argsz) \
	X(vfio_device_info, flags) \
	X(vfio_device_info, num_regions) \
	X(vfio_device_info, num_irqs) \
	X(vfio_device_info, cap_offset)

#define JVFIO_FIELDS_vfio_region_info(X) \
	X(vfio_region_info, argsz) \
	X(vfio_region_info, flags) \
	X(vfio_region_info, index) \
	X(vfio_region_info, cap_offset) \
	X(vfio_region_info, size) \
	X(vfio_region_info, offset)

#define JVFIO_FIELDS_vfio_irq_info(X) \
	X(vfio_irq_info, argsz) \
	X(vfio_irq_info, flags) \
	X(vfio_irq_info, index) \
	X(vfio_irq_info, count)

/* data[] (flexible array member) follows at sizeof; it has no fixed offset/size to pin. */
#define JVFIO_FIELDS_vfio_irq_set(X) \
	X(vfio_irq_set, argsz) \
	X(vfio_irq_set, flags) \
	X(vfio_irq_set, index) \
	X(vfio_irq_set, start) \
	X(vfio_irq_set, count)

#define JVFIO_FIELDS_vfio_iommu_spapr_tce_ddw_info(X) \
	X(vfio_iommu_spapr_tce_ddw_info, pgsizes) \
	X(vfio_iommu_spapr_tce_ddw_info, max_dynamic_windows_supported) \
	X(vfio_iommu_spapr_tce_ddw_info, levels)

#define JVFIO_FIELDS_vfio_iommu_spapr_tce_info(X) \
	X(vfio_iommu_spapr_tce_info, argsz) \
	X(vfio_iommu_spapr_tce_info, flags) \
	X(vfio_iommu_spapr_tce_info, dma32_window_start) \
	X(vfio_iommu_spapr_tce_info, dma32_window_size) \
	X(vfio_iommu_spapr_tce_info, ddw.pgsizes) \
	X(vfio_iommu_spapr_tce_info, ddw.max_dynamic_windows_supported) \
	X(vfio_iommu_spapr_tce_info, ddw.levels)

#define JVFIO_FIELDS_vfio_iommu_type1_dma_map(X) \
	X(vfio_iommu_type1_dma_map, argsz) \
	X(vfio_iommu_type1_dma_map, flags) \
	X(vfio_iommu_type1_dma_map, vaddr) \
	X(vfio_iommu_type1_dma_map, iova) \
	X(vfio_iommu_type1_dma_map, size)

/* data[] (flexible array member, unused by SPAPR) follows at sizeof. */
#define JVFIO_FIELDS_vfio_iommu_type1_dma_unmap(X) \
	X(vfio_iommu_type1_dma_unmap, argsz) \
	X(vfio_iommu_type1_dma_unmap, flags) \
	X(vfio_iommu_type1_dma_unmap, iova) \
	X(vfio_iommu_type1_dma_unmap, size)

#define JVFIO_FIELDS_vfio_iommu_spapr_register_memory(X) \
	X(vfio_iommu_spapr_register_memory, argsz) \
	X(vfio_iommu_spapr_register_memory, flags) \
	X(vfio_iommu_spapr_register_memory, vaddr) \
	X(vfio_iommu_spapr_register_memory, size)

#define JVFIO_FIELDS_vfio_iommu_spapr_tce_create(X) \
	X(vfio_iommu_spapr_tce_create, argsz) \
	X(vfio_iommu_spapr_tce_create, flags) \
	X(vfio_iommu_spapr_tce_create, page_shift) \
	X(vfio_iommu_spapr_tce_create, __resv1) \
	X(vfio_iommu_spapr_tce_create, window_size) \
	X(vfio_iommu_spapr_tce_create, levels) \
	X(vfio_iommu_spapr_tce_create, __resv2) \
	X(vfio_iommu_spapr_tce_create, start_addr)

#define JVFIO_FIELDS_vfio_iommu_spapr_tce_remove(X) \
	X(vfio_iommu_spapr_tce_remove, argsz) \
	X(vfio_iommu_spapr_tce_remove, flags) \
	X(vfio_iommu_spapr_tce_remove, start_addr)

#define JVFIO_FIELDS_vfio_eeh_pe_err(X) \
	X(vfio_eeh_pe_err, type) \
	X(vfio_eeh_pe_err, func) \
	X(vfio_eeh_pe_err, addr) \
	X(vfio_eeh_pe_err, mask)

/* err is a member of an anonymous union in the kernel header; the designator reaches through it. */
#define JVFIO_FIELDS_vfio_eeh_pe_op(X) \
	X(vfio_eeh_pe_op, argsz) \
	X(vfio_eeh_pe_op, flags) \
	X(vfio_eeh_pe_op, op) \
	X(vfio_eeh_pe_op, err.type) \
	X(vfio_eeh_pe_op, err.func) \
	X(vfio_eeh_pe_op, err.addr) \
	X(vfio_eeh_pe_op, err.mask)

/* devices[] (flexible array member) follows at sizeof. */
#define JVFIO_FIELDS_vfio_pci_hot_reset_info(X) \
	X(vfio_pci_hot_reset_info, argsz) \
	X(vfio_pci_hot_reset_info, flags) \
	X(vfio_pci_hot_reset_info, count)

/* group_fds[] (flexible array member) follows at sizeof. */
#define JVFIO_FIELDS_vfio_pci_hot_reset(X) \
	X(vfio_pci_hot_reset, argsz) \
	X(vfio_pci_hot_reset, flags) \
	X(vfio_pci_hot_reset, count)

#define JVFIO_FIELDS_vfio_device_ioeventfd(X) \
	X(vfio_device_ioeventfd, argsz) \
	X(vfio_device_ioeventfd, flags) \
	X(vfio_device_ioeventfd, offset) \
	X(vfio_device_ioeventfd, data) \
	X(vfio_device_ioeventfd, fd)

/* data[] (flexible array member) follows at sizeof. */
#define JVFIO_FIELDS_vfio_device_feature(X) \
	X(vfio_device_feature, argsz) \
	X(vfio_device_feature, flags)

#define JVFIO_FIELDS_vfio_info_cap_header(X) \
	X(vfio_info_cap_header, id) \
	X(vfio_info_cap_header, version) \
	X(vfio_info_cap_header, next)

/* Not VFIO: the kernel backend's process limits and credentials (getrlimit/setrlimit, capget/capset). */
#define JVFIO_FIELDS_rlimit(X) \
	X(rlimit, rlim_cur) \
	X(rlimit, rlim_max)

#define JVFIO_FIELDS___user_cap_header_struct(X) \
	X(__user_cap_header_struct, version) \
	X(__user_cap_header_struct, pid)

#define JVFIO_FIELDS___user_cap_data_struct(X) \
	X(__user_cap_data_struct, effective) \
	X(__user_cap_data_struct, permitted) \
	X(__user_cap_data_struct, inheritable)

/* Not VFIO: poll(2) on the eventfds (libc's struct pollfd is the kernel's asm-generic one). */
#define JVFIO_FIELDS_pollfd(X) \
	X(pollfd, fd) \
	X(pollfd, events) \
	X(pollfd, revents)

/*
 * The kernel's minsz of each ioctl argument: offsetofend of the last member its handler copies, as
 * X(struct, JAVA_CONSTANT, member). The Java side names them <struct>.MINSZ (MINSZ_<part> when a
 * longer argsz makes the handler copy more); the emulator checks argsz and copies by these.
 */
#define JVFIO_MINSZ(X) \
	X(vfio_group_status, MINSZ, flags) \
	X(vfio_device_info, MINSZ, num_irqs) \
	X(vfio_device_info, MINSZ_CAPS, cap_offset) \
	X(vfio_region_info, MINSZ, offset) \
	X(vfio_irq_info, MINSZ, count) \
	X(vfio_irq_set, MINSZ, count) \
	X(vfio_iommu_spapr_tce_info, MINSZ, dma32_window_size) \
	X(vfio_iommu_spapr_tce_info, MINSZ_DDW, ddw) \
	X(vfio_iommu_type1_dma_map, MINSZ, size) \
	X(vfio_iommu_type1_dma_unmap, MINSZ, size) \
	X(vfio_iommu_spapr_register_memory, MINSZ, size) \
	X(vfio_iommu_spapr_tce_create, MINSZ, start_addr) \
	X(vfio_iommu_spapr_tce_remove, MINSZ, start_addr) \
	X(vfio_eeh_pe_op, MINSZ, op) \
	X(vfio_eeh_pe_op, MINSZ_ERR, err) \
	X(vfio_pci_hot_reset_info, MINSZ, count) \
	X(vfio_pci_hot_reset, MINSZ, count) \
	X(vfio_device_ioeventfd, MINSZ, fd) \
	X(vfio_device_feature, MINSZ, flags)

/*
 * Every constant in io.jvfio.abi.VfioUapi (same order; the POLL* event bits are not VFIO's but
 * live there for both backends), plus FIONREAD: the ioctl the benchmarks use
 * as the cheapest real syscall. FIONREAD is a legacy literal (0x541B) on x86-64 but
 * _IOR('f', 127, int) on powerpc, so it also checks the Java codec's _IOR against the C compiler.
 */
#define JVFIO_CONSTANTS(X) \
	X(VFIO_API_VERSION) \
	X(VFIO_TYPE1_IOMMU) \
	X(VFIO_SPAPR_TCE_IOMMU) \
	X(VFIO_TYPE1v2_IOMMU) \
	X(VFIO_DMA_CC_IOMMU) \
	X(VFIO_EEH) \
	X(VFIO_TYPE1_NESTING_IOMMU) \
	X(VFIO_SPAPR_TCE_v2_IOMMU) \
	X(VFIO_NOIOMMU_IOMMU) \
	X(VFIO_UNMAP_ALL) \
	X(VFIO_UPDATE_VADDR) \
	X(VFIO_GROUP_FLAGS_VIABLE) \
	X(VFIO_GROUP_FLAGS_CONTAINER_SET) \
	X(VFIO_DEVICE_FLAGS_RESET) \
	X(VFIO_DEVICE_FLAGS_PCI) \
	X(VFIO_DEVICE_FLAGS_CAPS) \
	X(VFIO_REGION_INFO_FLAG_READ) \
	X(VFIO_REGION_INFO_FLAG_WRITE) \
	X(VFIO_REGION_INFO_FLAG_MMAP) \
	X(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) \
	X(VFIO_REGION_INFO_FLAG_CAPS) \
	X(VFIO_PCI_BAR0_REGION_INDEX) \
	X(VFIO_PCI_BAR5_REGION_INDEX) \
	X(VFIO_PCI_ROM_REGION_INDEX) \
	X(VFIO_PCI_CONFIG_REGION_INDEX) \
	X(VFIO_PCI_VGA_REGION_INDEX) \
	X(VFIO_PCI_NUM_REGIONS) \
	X(VFIO_PCI_INTX_IRQ_INDEX) \
	X(VFIO_PCI_MSI_IRQ_INDEX) \
	X(VFIO_PCI_MSIX_IRQ_INDEX) \
	X(VFIO_PCI_ERR_IRQ_INDEX) \
	X(VFIO_PCI_REQ_IRQ_INDEX) \
	X(VFIO_PCI_NUM_IRQS) \
	X(VFIO_IRQ_INFO_EVENTFD) \
	X(VFIO_IRQ_INFO_MASKABLE) \
	X(VFIO_IRQ_INFO_AUTOMASKED) \
	X(VFIO_IRQ_INFO_NORESIZE) \
	X(VFIO_IRQ_SET_DATA_NONE) \
	X(VFIO_IRQ_SET_DATA_BOOL) \
	X(VFIO_IRQ_SET_DATA_EVENTFD) \
	X(VFIO_IRQ_SET_ACTION_MASK) \
	X(VFIO_IRQ_SET_ACTION_UNMASK) \
	X(VFIO_IRQ_SET_ACTION_TRIGGER) \
	X(VFIO_IRQ_SET_DATA_TYPE_MASK) \
	X(VFIO_IRQ_SET_ACTION_TYPE_MASK) \
	X(VFIO_IOMMU_SPAPR_INFO_DDW) \
	X(VFIO_DMA_MAP_FLAG_READ) \
	X(VFIO_DMA_MAP_FLAG_WRITE) \
	X(VFIO_DMA_UNMAP_FLAG_ALL) \
	X(VFIO_EEH_PE_DISABLE) \
	X(VFIO_EEH_PE_ENABLE) \
	X(VFIO_EEH_PE_UNFREEZE_IO) \
	X(VFIO_EEH_PE_UNFREEZE_DMA) \
	X(VFIO_EEH_PE_GET_STATE) \
	X(VFIO_EEH_PE_RESET_DEACTIVATE) \
	X(VFIO_EEH_PE_RESET_HOT) \
	X(VFIO_EEH_PE_RESET_FUNDAMENTAL) \
	X(VFIO_EEH_PE_CONFIGURE) \
	X(VFIO_EEH_PE_INJECT_ERR) \
	X(VFIO_DEVICE_IOEVENTFD_SIZE_MASK) \
	X(VFIO_DEVICE_FEATURE_MASK) \
	X(VFIO_DEVICE_FEATURE_GET) \
	X(VFIO_DEVICE_FEATURE_SET) \
	X(VFIO_DEVICE_FEATURE_PROBE) \
	X(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY) \
	X(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP) \
	X(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT) \
	X(VFIO_PCI_OFFSET_SHIFT) \
	X(POLLIN) \
	X(POLLPRI) \
	X(POLLOUT) \
	X(POLLERR) \
	X(POLLHUP) \
	X(POLLNVAL) \
	X(POLLRDNORM) \
	X(POLLWRNORM) \
	X(FIONREAD)

/*
 * The libc constants the kernel backend passes to open, mmap and eventfd (every constant of
 * io.jvfio.backend.kernel.LinuxUapi, same order; the Java side drops sysconf's leading underscore).
 * powerpc differs from x86-64 in some mmap flags (MAP_NORESERVE, MAP_LOCKED); these pin the ones used.
 */
#define JVFIO_LIBC_CONSTANTS(X) \
	X(O_RDWR) \
	X(O_CLOEXEC) \
	X(PROT_NONE) \
	X(PROT_READ) \
	X(PROT_WRITE) \
	X(MAP_SHARED) \
	X(MAP_PRIVATE) \
	X(MAP_FIXED) \
	X(MAP_ANONYMOUS) \
	X(MAP_HUGETLB) \
	X(EFD_CLOEXEC) \
	X(_SC_PAGESIZE)

#endif /* JVFIO_UAPI_H */
