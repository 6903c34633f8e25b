package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOENT;
import static io.jvfio.backend.Errno.ENOSPC;
import static io.jvfio.backend.Errno.ENOTTY;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_eeh_pe_op;
import io.jvfio.abi.vfio_iommu_spapr_register_memory;
import io.jvfio.abi.vfio_iommu_spapr_tce_create;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_spapr_tce_remove;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.vfio_iommu_type1_dma_unmap;
import io.jvfio.abi.VfioUapi;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.PhysBlock;
import io.jvfio.emul.mem.UserCopy;
import io.jvfio.emul.papr.SpaprPhb;
import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprTceTable;
import io.jvfio.emul.pseries.IommuTable;
import io.jvfio.emul.pseries.PseriesPe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The VFIO SPAPR TCE IOMMU driver's container ({@code struct tce_container},
 * drivers/vfio/vfio_iommu_spapr_tce.c as in Linux 6.12), v1 or v2, with its ioctls in the kernel's
 * order of checks. The caller holds the platform lock (the kernel's container mutex and more).
 *
 * <p>The {@code container->mm} checks are not modelled beyond "set or not": the emulator is one
 * process, so a second process's EPERM cannot happen.
 */
public final class TceContainer {
    public static final int MAX_TABLES = 2;
    private static final long H_PARAMETER = SpaprPhb.H_PARAMETER;

    private final boolean v2;
    private final AddressSpace as;
    private final MmIommu mm;
    private final Oops oops;
    private final int kps; // PAGE_SHIFT
    private final boolean eeh;

    private boolean enabled;
    private boolean defWindowPending;
    private boolean mmSet;
    private long lockedPages;
    private final IommuTable[] tables = new IommuTable[MAX_TABLES];
    private final List<PseriesPe> groups = new ArrayList<>(); // index 0 = list head
    private final List<MmIommu.Region> prereg = new ArrayList<>(); // index 0 = list head
    private final List<Integer> eehState = new ArrayList<>();

    private TceContainer(boolean v2, AddressSpace as, MmIommu mm, Oops oops, boolean eeh) {
        this.v2 = v2;
        this.as = as;
        this.mm = mm;
        this.oops = oops;
        this.kps = as.pageShift();
        this.eeh = eeh;
    }

    /** {@code tce_iommu_ioctl(NULL, VFIO_CHECK_EXTENSION, arg)}. */
    public static long checkExtension(long arg, boolean eehEnabled) {
        if (arg == VfioUapi.VFIO_SPAPR_TCE_IOMMU || arg == VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU) {
            return 1;
        }
        if (arg == VfioUapi.VFIO_EEH) {
            return eehEnabled ? 1 : 0;
        }
        return 0;
    }

    /** The result of {@link #open}: a container or an errno. */
    public record OpenResult(TceContainer container, long ret) {}

    /** {@code tce_iommu_open}: only the two SPAPR types. */
    public static OpenResult open(long type, AddressSpace as, MmIommu mm, Oops oops, boolean eeh) {
        if (type != VfioUapi.VFIO_SPAPR_TCE_IOMMU && type != VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU) {
            return new OpenResult(null, -EINVAL); // "tce_vfio: Wrong IOMMU type"
        }
        return new OpenResult(new TceContainer(type == VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU, as, mm, oops, eeh), 0);
    }

    public boolean v2() {
        return v2;
    }

    public boolean enabled() {
        return enabled;
    }

    public boolean defWindowPending() {
        return defWindowPending;
    }

    public long lockedPages() {
        return lockedPages;
    }

    public IommuTable table(int i) {
        return tables[i];
    }

    public List<PseriesPe> groups() {
        return List.copyOf(groups);
    }

    public List<MmIommu.Region> prereg() {
        return List.copyOf(prereg);
    }

    // ---- attach / detach / release -------------------------------------------------------------------

    /** {@code tce_iommu_attach_group}. */
    public long attachGroup(PseriesPe pe) {
        if (v2 && pe.maxDynamicWindowsSupported() == 0) {
            return -EINVAL;
        }
        if (!v2 && !groups.isEmpty()) {
            return -EBUSY;
        }
        for (PseriesPe g : groups) {
            if (g == pe) {
                return -EBUSY; // "tce_vfio: Group %d is already attached"
            }
            // every pSeries group has the same ops: no EPERM for incompatible groups
        }
        long ret = takeOwnership(pe);
        if (groups.isEmpty() && tables[0] == null) {
            defWindowPending = true;
        }
        if (ret == 0) {
            groups.add(0, pe);
        }
        return ret;
    }

    /** {@code tce_iommu_take_ownership}: every container window onto the new group. */
    private long takeOwnership(PseriesPe pe) {
        for (int i = 0; i < MAX_TABLES; i++) {
            IommuTable tbl = tables[i];
            if (tbl == null) {
                continue;
            }
            long ret = pe.setWindow(i, tbl);
            if (ret != 0) {
                for (int j = 0; j < MAX_TABLES; j++) {
                    pe.unsetWindow(j);
                }
                return ret;
            }
        }
        return 0;
    }

    /** {@code tce_iommu_detach_group}: clear and unset every window on that group. */
    public void detachGroup(PseriesPe pe) {
        if (!groups.remove(pe)) {
            return; // "tce_vfio: detaching unattached group"
        }
        for (int i = 0; i < MAX_TABLES; i++) {
            if (tables[i] != null) {
                clear(tables[i], tables[i].itOffset(), tables[i].itSize());
                pe.unsetWindow(i);
            }
        }
    }

    /** {@code tce_iommu_release}: the container goes (last group detached, or SET_IOMMU failed). */
    public void release() {
        while (!groups.isEmpty()) {
            detachGroup(groups.get(0));
        }
        for (int i = 0; i < MAX_TABLES; i++) {
            if (tables[i] != null) {
                freeTable(tables[i]);
                tables[i] = null;
            }
        }
        for (MmIommu.Region r : new ArrayList<>(prereg)) {
            long ret = mm.put(r); // WARN_ON(tce_iommu_prereg_free())
            if (ret == 0) {
                prereg.remove(r);
            }
        }
        disable();
    }

    // ---- the ioctl -----------------------------------------------------------------------------------

    /** {@code tce_iommu_ioctl}; {@code cmd} null for a request that is not a VFIO ioctl of this architecture. */
    public long ioctl(VfioIoctl cmd, long arg, MemorySegment seg) {
        if (cmd == null) {
            return -ENOTTY;
        }
        switch (cmd) {
            case VFIO_CHECK_EXTENSION:
                return checkExtension(arg, eeh);
            case VFIO_IOMMU_SPAPR_TCE_GET_INFO:
                return getInfo(seg);
            case VFIO_IOMMU_MAP_DMA:
                return mapDma(seg);
            case VFIO_IOMMU_UNMAP_DMA:
                return unmapDma(seg);
            case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
                return v2 ? registerMemory(seg) : -ENOTTY;
            case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
                return v2 ? unregisterMemory(seg) : -ENOTTY;
            case VFIO_IOMMU_ENABLE:
                return v2 ? -ENOTTY : enable();
            case VFIO_IOMMU_DISABLE:
                if (v2) {
                    return -ENOTTY;
                }
                disable();
                return 0;
            case VFIO_EEH_PE_OP:
                return eehPeOp(seg);
            case VFIO_IOMMU_SPAPR_TCE_CREATE:
                return v2 ? create(seg) : -ENOTTY;
            case VFIO_IOMMU_SPAPR_TCE_REMOVE:
                return v2 ? remove(seg) : -ENOTTY;
            default:
                return -ENOTTY;
        }
    }

    private long getInfo(MemorySegment seg) {
        if (groups.isEmpty()) {
            return -ENXIO;
        }
        PseriesPe pe = groups.get(0);
        if (!UserCopy.ok(seg, vfio_iommu_spapr_tce_info.MINSZ)) {
            return -EFAULT;
        }
        int argsz = vfio_iommu_spapr_tce_info.argsz.get(seg);
        if (UserCopy.argszBelow(argsz, vfio_iommu_spapr_tce_info.MINSZ)) {
            return -EINVAL;
        }
        int flags = 0;
        long pgsizes = 0;
        int maxWin = 0;
        int levels = 0;
        if (pe.maxDynamicWindowsSupported() != 0 && v2) {
            flags |= VfioUapi.VFIO_IOMMU_SPAPR_INFO_DDW;
            pgsizes = pe.pgsizes();
            maxWin = (int) pe.maxDynamicWindowsSupported();
            levels = (int) pe.maxLevels();
        }
        boolean ddw = !UserCopy.argszBelow(argsz, vfio_iommu_spapr_tce_info.MINSZ_DDW);
        if (!UserCopy.ok(seg, ddw ? vfio_iommu_spapr_tce_info.MINSZ_DDW : vfio_iommu_spapr_tce_info.MINSZ)) {
            return -EFAULT;
        }
        vfio_iommu_spapr_tce_info.flags.set(seg, flags);
        vfio_iommu_spapr_tce_info.dma32_window_start.set(seg, (int) pe.tce32Start());
        vfio_iommu_spapr_tce_info.dma32_window_size.set(seg, (int) pe.tce32Size());
        if (ddw) {
            vfio_iommu_spapr_tce_info.ddw_pgsizes.set(seg, pgsizes);
            vfio_iommu_spapr_tce_info.ddw_max_dynamic_windows_supported.set(seg, maxWin);
            vfio_iommu_spapr_tce_info.ddw_levels.set(seg, levels);
        }
        return 0;
    }

    private long enable() {
        if (enabled) {
            return -EBUSY;
        }
        if (groups.isEmpty()) {
            return -ENODEV;
        }
        PseriesPe pe = groups.get(0);
        if (pe.tce32Size() == 0) {
            return -EPERM;
        }
        mmSet = true;
        long locked = pe.tce32Size() >>> kps;
        int r = as.accountLockedVm(locked, true);
        if (r != 0) {
            return r;
        }
        lockedPages = locked;
        enabled = true;
        return 0;
    }

    private void disable() {
        if (!enabled) {
            return;
        }
        enabled = false;
        as.accountLockedVm(lockedPages, false);
    }

    // ---- windows ---------------------------------------------------------------------------------------

    private int findTable(long ioba) {
        for (int i = 0; i < MAX_TABLES; i++) {
            IommuTable t = tables[i];
            if (t != null && t.containsIoba(ioba)) {
                return i;
            }
        }
        return -1;
    }

    private int findFreeTable() {
        for (int i = 0; i < MAX_TABLES; i++) {
            if (tables[i] == null) {
                return i;
            }
        }
        return -ENOSPC;
    }

    /** {@code tce_iommu_create_window}; {@code start[0]} receives the bus address. */
    private long createWindow(int pageShift, long windowSize, int levels, long[] start) {
        int num = findFreeTable();
        if (num < 0) {
            return num;
        }
        PseriesPe pe = groups.get(0);
        if ((pe.pgsizes() & PseriesPe.ppcSld(1, pageShift)) == 0) {
            return -EINVAL;
        }
        // tce_iommu_create_table
        long tableSize = PseriesPe.getTableSize(pageShift, windowSize, levels);
        if (tableSize == 0) {
            return -EINVAL;
        }
        int r = as.accountLockedVm(tableSize >> kps, true);
        if (r != 0) {
            return r;
        }
        PseriesPe.CreateResult cr = pe.createTable(num, pageShift, windowSize, levels);
        if (cr.ret() != 0) {
            return cr.ret(); // the locked_vm charge is not undone (as in tce_iommu_create_table)
        }
        IommuTable tbl = cr.table();
        for (PseriesPe g : groups) {
            long ret = g.setWindow(num, tbl);
            if (ret != 0) {
                for (PseriesPe g2 : groups) {
                    g2.unsetWindow(num);
                }
                freeTable(tbl);
                return ret;
            }
        }
        tables[num] = tbl;
        start[0] = tbl.start();
        return 0;
    }

    private void freeTable(IommuTable tbl) {
        as.accountLockedVm(tbl.allocatedSize() >>> kps, false);
    }

    private long removeWindow(long startAddr) {
        int num = findTable(startAddr);
        if (num < 0) {
            return -EINVAL;
        }
        IommuTable tbl = tables[num];
        clear(tbl, tbl.itOffset(), tbl.itSize());
        for (PseriesPe g : groups) {
            g.unsetWindow(num);
        }
        freeTable(tbl);
        tables[num] = null;
        return 0;
    }

    /** {@code tce_iommu_create_default_window}: the lazily created 4K window of tce32_size. */
    private long createDefaultWindow() {
        if (!defWindowPending) {
            return 0;
        }
        if (groups.isEmpty()) {
            return -ENODEV;
        }
        PseriesPe pe = groups.get(0);
        long[] start = new long[1];
        long ret = createWindow(12, pe.tce32Size(), 1, start);
        if (ret == 0) {
            defWindowPending = false;
        }
        return ret;
    }

    /**
     * The prologue of the SPAPR ioctls: copy_from_user of {@code minsz} bytes (EFAULT), argsz below
     * minsz (EINVAL) and, for the ioctls that define no flags, any flag (EINVAL). 0 when the call goes on.
     * Every SPAPR argument starts with {@code argsz} and {@code flags}, at the offsets of
     * {@code vfio_iommu_type1_dma_map}'s.
     */
    private static long prologue(MemorySegment seg, long minsz, boolean noFlags) {
        if (!UserCopy.ok(seg, minsz)) {
            return -EFAULT;
        }
        if (UserCopy.argszBelow(vfio_iommu_type1_dma_map.argsz.get(seg), minsz)) {
            return -EINVAL;
        }
        return noFlags && vfio_iommu_type1_dma_map.flags.get(seg) != 0 ? -EINVAL : 0;
    }

    private long create(MemorySegment seg) {
        mmSet = true;
        if (groups.isEmpty()) {
            return -ENXIO;
        }
        long bad = prologue(seg, vfio_iommu_spapr_tce_create.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        int pageShift = vfio_iommu_spapr_tce_create.page_shift.get(seg);
        long windowSize = vfio_iommu_spapr_tce_create.window_size.get(seg);
        int levels = vfio_iommu_spapr_tce_create.levels.get(seg);
        long ret = createDefaultWindow();
        long[] start = new long[1];
        if (ret == 0) {
            ret = createWindow(pageShift, windowSize, levels, start);
        }
        if (ret == 0) {
            vfio_iommu_spapr_tce_create.start_addr.set(seg, start[0]); // the whole struct goes back; only start_addr changed
        }
        return ret;
    }

    private long remove(MemorySegment seg) {
        mmSet = true;
        if (groups.isEmpty()) {
            return -ENXIO;
        }
        long bad = prologue(seg, vfio_iommu_spapr_tce_remove.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long startAddr = vfio_iommu_spapr_tce_remove.start_addr.get(seg);
        if (defWindowPending && startAddr == 0) {
            defWindowPending = false;
            return 0;
        }
        return removeWindow(startAddr);
    }

    // ---- pre-registration ------------------------------------------------------------------------------

    private long registerMemory(MemorySegment seg) {
        mmSet = true;
        long bad = prologue(seg, vfio_iommu_spapr_register_memory.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long vaddr = vfio_iommu_spapr_register_memory.vaddr.get(seg);
        long size = vfio_iommu_spapr_register_memory.size.get(seg);
        long pageMask = (1L << kps) - 1;
        if ((vaddr & pageMask) != 0 || (size & pageMask) != 0 || Long.compareUnsigned(vaddr + size, vaddr) < 0) {
            return -EINVAL;
        }
        long entries = size >>> kps;
        MmIommu.Region mem = mm.get(vaddr, entries);
        if (mem != null) {
            for (MmIommu.Region r : prereg) {
                if (r == mem) {
                    mm.put(mem);
                    return -EBUSY;
                }
            }
        } else {
            if (kps == 12 && as.hugePageSize() == 16L << 20) {
                // 16 MiB huge pages on a 4K-page kernel mean the hash MMU
                for (long a = vaddr; Long.compareUnsigned(a, vaddr + size) < 0; ) {
                    io.jvfio.emul.mem.Vma v = as.findVma(a);
                    if (v == null) {
                        break;
                    }
                    if (v.hugetlb()) {
                        throw oops.oops(String.format("REGISTER_MEMORY of [0x%x, 0x%x) covers 16 MiB hugetlb pages under"
                                + " the hash MMU on a 4K-page kernel: the 6.12 pSeries kernel never returns (the process"
                                + " spins in mm_iommu_do_alloc); see guest-recipe.md 'Known guest-kernel hang'", vaddr,
                                vaddr + size));
                    }
                    a = v.end();
                }
            }
            MmIommu.NewResult nr = mm.newRegion(vaddr, entries);
            if (nr.ret() != 0) {
                return nr.ret();
            }
            mem = nr.region();
        }
        prereg.add(0, mem);
        enabled = true;
        return 0;
    }

    private long unregisterMemory(MemorySegment seg) {
        if (!mmSet) {
            return -EPERM;
        }
        long bad = prologue(seg, vfio_iommu_spapr_register_memory.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long vaddr = vfio_iommu_spapr_register_memory.vaddr.get(seg);
        long size = vfio_iommu_spapr_register_memory.size.get(seg);
        long pageMask = (1L << kps) - 1;
        if ((vaddr & pageMask) != 0 || (size & pageMask) != 0) {
            return -EINVAL;
        }
        MmIommu.Region mem = mm.get(vaddr, size >>> kps);
        if (mem == null) {
            return -ENOENT;
        }
        long ret;
        if (!prereg.contains(mem)) {
            ret = -ENOENT;
        } else {
            ret = mm.put(mem); // tce_iommu_prereg_free
            if (ret == 0) {
                prereg.remove(mem);
            }
        }
        mm.put(mem); // drops mm_iommu_get's reference; its EBUSY is ignored by the kernel
        return ret;
    }

    // ---- MAP / UNMAP -------------------------------------------------------------------------------------

    private static boolean putParamCheckFails(IommuTable tbl, long iova, long gpa) {
        long mask = (1L << tbl.pageShift()) - 1;
        if ((iova & mask) != 0) {
            return true;
        }
        long e = iova >>> tbl.pageShift();
        if (Long.compareUnsigned(e, tbl.itOffset()) < 0 || Long.compareUnsigned(e + 1, tbl.itOffset() + tbl.itSize()) > 0) {
            return true;
        }
        return (gpa & mask) != 0;
    }

    private long mapDma(MemorySegment seg) {
        if (!enabled) {
            return -EPERM;
        }
        long bad = prologue(seg, vfio_iommu_type1_dma_map.MINSZ, false);
        if (bad != 0) {
            return bad;
        }
        int flags = vfio_iommu_type1_dma_map.flags.get(seg);
        if ((flags & ~(VfioUapi.VFIO_DMA_MAP_FLAG_READ | VfioUapi.VFIO_DMA_MAP_FLAG_WRITE)) != 0) {
            return -EINVAL;
        }
        long vaddr = vfio_iommu_type1_dma_map.vaddr.get(seg);
        long iova = vfio_iommu_type1_dma_map.iova.get(seg);
        long size = vfio_iommu_type1_dma_map.size.get(seg);
        long ret = createDefaultWindow();
        if (ret != 0) {
            return ret;
        }
        int num = findTable(iova);
        if (num < 0) {
            return -ENXIO;
        }
        IommuTable tbl = tables[num];
        long mask = (1L << tbl.pageShift()) - 1;
        if ((size & mask) != 0 || (vaddr & mask) != 0) {
            return -EINVAL;
        }
        long perm;
        if ((flags & VfioUapi.VFIO_DMA_MAP_FLAG_READ) != 0) {
            perm = (flags & VfioUapi.VFIO_DMA_MAP_FLAG_WRITE) != 0 ? SpaprTceTable.TCE_RW : SpaprTceTable.TCE_READ;
        } else if ((flags & VfioUapi.VFIO_DMA_MAP_FLAG_WRITE) != 0) {
            perm = SpaprTceTable.TCE_WRITE;
        } else {
            return -EINVAL;
        }
        if (putParamCheckFails(tbl, iova, vaddr)) {
            return 1; // -EINVAL || -EINVAL == 1: the macro's quirk
        }
        long entry = iova >>> tbl.pageShift();
        long pages = size >>> tbl.pageShift();
        return v2 ? buildV2(tbl, entry, vaddr, pages, perm) : build(tbl, entry, vaddr, pages, perm);
    }

    private long unmapDma(MemorySegment seg) {
        if (!enabled) {
            return -EPERM;
        }
        long bad = prologue(seg, vfio_iommu_type1_dma_unmap.MINSZ, true);
        if (bad != 0) {
            return bad;
        }
        long iova = vfio_iommu_type1_dma_unmap.iova.get(seg);
        long size = vfio_iommu_type1_dma_unmap.size.get(seg);
        long ret = createDefaultWindow();
        if (ret != 0) {
            return ret;
        }
        int num = findTable(iova);
        if (num < 0) {
            return -ENXIO;
        }
        IommuTable tbl = tables[num];
        long mask = (1L << tbl.pageShift()) - 1;
        if ((size & mask) != 0) {
            return -EINVAL;
        }
        if ((iova & mask) != 0) {
            return 1; // iommu_tce_clear_param_check's || quirk
        }
        clear(tbl, iova >>> tbl.pageShift(), size >>> tbl.pageShift());
        return 0;
    }

    /** {@code tce_iommu_build} (v1): pin each page, write its TCE; on failure clear what was written. */
    private long build(IommuTable tbl, long entry, long tce, long pages, long perm) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        int shift = tbl.pageShift();
        long pageSize = 1L << shift;
        long pageMask = -(1L << kps);
        long ret = 0;
        long i;
        for (i = 0; Long.compareUnsigned(i, pages) < 0; i++) {
            PhysBlock b = as.pin(tce & pageMask); // pin_user_pages_fast
            if (b == null) {
                ret = -EFAULT;
                break;
            }
            long hpa = tce & pageMask;
            if (b.pageShift() < shift) {
                ret = -EPERM; // the pin is not dropped here, as in the kernel
                break;
            }
            long idx = phb.hIndex(ht, (entry + i) << shift);
            if (idx < 0) {
                as.unpin(b);
                ret = H_PARAMETER;
                break;
            }
            long old = ht.entries().exchange(idx, hpa | perm);
            if ((old & SpaprTceTable.TCE_RW) != 0) {
                as.unpinPhys(old & ~SpaprTceTable.TCE_RW);
            }
            tce += pageSize;
        }
        if (ret != 0) {
            clear(tbl, entry, i);
        }
        return ret;
    }

    /**
     * {@code tce_iommu_build_v2}: pre-registered memory only; records the userspace address per TCE.
     * Per entry exactly the kernel's steps; the region and page-size checks are cached over the
     * address range they were proven for, which is what makes large maps cheap.
     */
    private long buildV2(IommuTable tbl, long entry, long tce, long pages, long perm) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        int shift = tbl.pageShift();
        long pageSize = 1L << shift;
        // H_GET_TCE/H_PUT_TCE bounds, when the hypervisor window has the table's page size (always, in practice)
        boolean direct = ht != null && ht.enabled() && ht.pageShift() == shift;
        SparseTceTable hyp = direct ? ht.entries() : null;
        long hBase = direct ? ht.busOffset() >>> shift : 0;
        long nb = direct ? ht.nbTable() : 0;
        SparseTceTable view = tbl.view();
        long vcap = tbl.viewCapacity();
        long itOffset = tbl.itOffset();
        MmIommu.Region mem = null;
        long memLo = 1; // [memLo, memHi]: userspace addresses proven to pass mm_iommu_lookup and ua_to_hpa
        long memHi = 0;
        long blkLo = 1; // [blkLo, blkHi]: physical addresses proven to pass tce_page_is_contained
        long blkHi = 0;
        long ret = 0;
        long i;
        for (i = 0; Long.compareUnsigned(i, pages) < 0; i++) {
            long e = entry + i;
            if (Long.compareUnsigned(tce, memLo) < 0 || Long.compareUnsigned(tce, memHi) > 0) {
                mem = mm.lookup(tce, pageSize);
                if (mem == null || MmIommu.uaToHpa(mem, tce, shift, kps) == -1) {
                    ret = -EINVAL;
                    break;
                }
                memLo = mem.ua();
                memHi = mem.ua() + mem.size() - pageSize;
            }
            long hpa = tce; // the emulator maps process memory 1:1
            if (Long.compareUnsigned(hpa, blkLo) < 0 || Long.compareUnsigned(hpa, blkHi) > 0) {
                PhysBlock b = as.physBlock(hpa);
                if (b == null || b.pageShift() < shift) {
                    ret = -EPERM; // tce_page_is_contained
                    break;
                }
                blkLo = b.address();
                blkHi = b.address() + b.size() - 1;
            }
            if (!MmIommu.mappedInc(mem)) {
                break; // "The registered region is being unregistered": ret stays 0
            }
            long h;
            SparseTceTable hy;
            if (direct) {
                h = e - hBase;
                if (Long.compareUnsigned(h, nb) >= 0) {
                    h = -1;
                }
                hy = hyp;
            } else {
                h = phb.hIndex(ht, e << shift);
                hy = h < 0 ? null : ht.entries();
            }
            if (h < 0) {
                // the hypervisor rejects the TCE (H_PARAMETER): unwind this entry
                unusePageV2(tbl, e, entry, pages);
                ret = H_PARAMETER;
                break;
            }
            long old = hy.exchange(h, hpa | perm);
            if ((old & SpaprTceTable.TCE_RW) != 0) {
                unusePageV2(tbl, e, entry, pages);
            }
            // *pua = cpu_to_be64(tce)
            if (view == null) {
                throw oops.oops(mapRange(tbl, entry, pages) + ": the window's userspace view could not be allocated"
                        + " (vzalloc of 8 bytes per TCE failed), it_userspace is NULL and the 6.12 pSeries kernel"
                        + " oopses writing through it in tce_iommu_build_v2; see the emulator's package notes");
            }
            long vidx = e - itOffset;
            if (Long.compareUnsigned(vidx, vcap) >= 0) {
                throw oops.oops(mapRange(tbl, entry, pages) + " crosses the end of the window: the 6.12 pSeries"
                        + " kernel oopses here (tce_iommu_build_v2 writes it_userspace past its end); see"
                        + " guest-recipe.md 'Kernel bugs'");
            }
            view.exchange(vidx, tce);
            tce += pageSize;
        }
        if (ret != 0) {
            clear(tbl, entry, i);
        }
        return ret;
    }

    private static String mapRange(IommuTable tbl, long entry, long pages) {
        long start = entry << tbl.pageShift();
        return String.format("v2 MAP_DMA [0x%x, 0x%x) in the window [0x%x, 0x%x)", start,
                start + (pages << tbl.pageShift()), tbl.start(), tbl.start() + tbl.size());
    }

    /**
     * {@code tce_iommu_unuse_page_v2}: reads the userspace view, drops the region's mapped count,
     * clears the view entry. {@code pages} < 0 when called from a clear (for the message).
     */
    private void unusePageV2(IommuTable tbl, long e, long entry, long pages) {
        SparseTceTable view = tbl.view();
        if (view == null) {
            return;
        }
        long idx = e - tbl.itOffset();
        if (Long.compareUnsigned(idx, tbl.viewCapacity()) >= 0) {
            String what = pages >= 0
                    ? mapRange(tbl, entry, pages) + " crosses the end of the window"
                    : String.format("clearing the TCE at 0x%x, past the end of the window's userspace view",
                            e << tbl.pageShift());
            throw oops.oops(what + ": the 6.12 pSeries kernel oopses here (tce_iommu_unuse_page_v2 reads"
                    + " it_userspace past its end: \"Kernel access of bad area\"); see guest-recipe.md 'Kernel bugs'");
        }
        long oldUa = view.exchange(idx, 0);
        int shift = tbl.pageShift();
        MmIommu.Region mem = mm.lookup(oldUa, 1L << shift);
        if (mem != null && MmIommu.uaToHpa(mem, oldUa, shift, kps) != -1) {
            MmIommu.mappedDec(mem);
        }
    }

    /**
     * {@code tce_iommu_clear}: exchanges every entry of [entry, entry+pages) with 0 and releases what
     * the old TCE held. Entries the hypervisor rejects (outside its window) are skipped, as the
     * kernel skips them. Only non-empty entries are visited: empty ones change nothing.
     */
    private void clear(IommuTable tbl, long entry, long pages) {
        SpaprPhb phb = tbl.phb();
        SpaprTceTable ht = phb.byLiobn(tbl.liobn());
        if (ht == null || !ht.enabled() || pages == 0 || ht.pageShift() != tbl.pageShift()) {
            return;
        }
        int shift = tbl.pageShift();
        long base = ht.busOffset() >>> shift; // kernel entry of hypervisor index 0
        long lastEntry = Long.compareUnsigned(entry + pages, entry) < 0 ? -1L : entry + pages; // saturating
        if (Long.compareUnsigned(lastEntry, base) <= 0) {
            return;
        }
        long from = Long.compareUnsigned(entry, base) > 0 ? entry - base : 0;
        long to = Long.compareUnsigned(lastEntry - base, ht.nbTable()) < 0 ? lastEntry - base : ht.nbTable();
        if (Long.compareUnsigned(from, to) >= 0) {
            return;
        }
        if (v2) {
            ht.entries().clearRange(from, to, (h, old) -> {
                if ((old & SpaprTceTable.TCE_RW) != 0) {
                    unusePageV2(tbl, base + h, 0, -1);
                }
            });
        } else {
            ht.entries().clearRange(from, to, (h, old) -> {
                if ((old & SpaprTceTable.TCE_RW) != 0) {
                    as.unpinPhys(old & ~SpaprTceTable.TCE_RW);
                }
            });
        }
    }

    // ---- EEH ------------------------------------------------------------------------------------------

    /**
     * VFIO_EEH_PE_OP. Without EEH (the observed guest) every group answers ENODEV before the
     * argument is read. With {@code eehSupported} a minimal hypothetical PE state machine answers.
     */
    private long eehPeOp(MemorySegment seg) {
        long ret = 0;
        for (int g = 0; g < groups.size(); g++) {
            if (!eeh) {
                return -ENODEV;
            }
            if (!UserCopy.ok(seg, vfio_eeh_pe_op.MINSZ)) {
                return -EFAULT;
            }
            int argsz = vfio_eeh_pe_op.argsz.get(seg);
            if (UserCopy.argszBelow(argsz, vfio_eeh_pe_op.MINSZ) || vfio_eeh_pe_op.flags.get(seg) != 0) {
                return -EINVAL;
            }
            while (eehState.size() <= g) {
                eehState.add(0);
            }
            int op = vfio_eeh_pe_op.op.get(seg);
            switch (op) {
                case VfioUapi.VFIO_EEH_PE_DISABLE, VfioUapi.VFIO_EEH_PE_ENABLE, VfioUapi.VFIO_EEH_PE_CONFIGURE -> ret = 0;
                case VfioUapi.VFIO_EEH_PE_UNFREEZE_IO, VfioUapi.VFIO_EEH_PE_UNFREEZE_DMA,
                        VfioUapi.VFIO_EEH_PE_RESET_DEACTIVATE, VfioUapi.VFIO_EEH_PE_RESET_HOT,
                        VfioUapi.VFIO_EEH_PE_RESET_FUNDAMENTAL -> {
                    eehState.set(g, 0);
                    ret = 0;
                }
                case VfioUapi.VFIO_EEH_PE_GET_STATE -> ret = eehState.get(g);
                case VfioUapi.VFIO_EEH_PE_INJECT_ERR -> {
                    if (UserCopy.argszBelow(argsz, vfio_eeh_pe_op.MINSZ_ERR)) {
                        return -EINVAL;
                    }
                    if (!UserCopy.ok(seg, vfio_eeh_pe_op.MINSZ_ERR)) {
                        return -EFAULT;
                    }
                    int type = vfio_eeh_pe_op.err_type.get(seg);
                    if (type != 0 && type != 1) {
                        return -EINVAL;
                    }
                    eehState.set(g, 2); // VFIO_EEH_PE_STATE_STOPPED
                    ret = 0;
                }
                default -> {
                    return -EINVAL;
                }
            }
            if (ret != 0) {
                return ret;
            }
        }
        return ret;
    }
}
