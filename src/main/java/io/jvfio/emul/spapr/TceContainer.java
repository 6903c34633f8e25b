package io.jvfio.emul.spapr;

import static io.jvfio.backend.Errno.EBUSY;
import static io.jvfio.backend.Errno.EFAULT;
import static io.jvfio.backend.Errno.EINVAL;
import static io.jvfio.backend.Errno.ENODEV;
import static io.jvfio.backend.Errno.ENOTTY;
import static io.jvfio.backend.Errno.ENXIO;
import static io.jvfio.backend.Errno.EPERM;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.abi.vfio_iommu_spapr_tce_info;
import io.jvfio.abi.vfio_iommu_type1_dma_map;
import io.jvfio.abi.VfioUapi;
import io.jvfio.backend.KernelFix;
import io.jvfio.emul.mem.AddressSpace;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.mem.UserCopy;
import io.jvfio.emul.pseries.IommuTable;
import io.jvfio.emul.pseries.PseriesPe;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest kernel, SPAPR TCE IOMMU driver: {@code struct tce_container}
 * (drivers/vfio/vfio_iommu_spapr_tce.c as in Linux 6.12), v1 or v2: its lifecycle (open, attach,
 * detach, release), GET_INFO, ENABLE/DISABLE and the decode of its ioctls in the kernel's order of
 * checks. The windows are {@link TceWindows}, MAP/UNMAP {@link TceBuild}, pre-registration
 * {@link TcePrereg}, EEH {@link TceEeh}. The caller holds the platform lock (the kernel's
 * container mutex and more).
 *
 * <p>The {@code container->mm} checks are not modelled beyond "set or not": the emulator is one
 * process, so a second process's EPERM cannot happen.
 */
public final class TceContainer {
    public static final int MAX_TABLES = 2;

    // The container's state, shared with the parts of the driver that live in their own classes.
    final boolean v2;
    final AddressSpace as;
    final MmIommu mm;
    final Oops oops;
    final int kps; // PAGE_SHIFT
    final boolean eeh;
    /** The modelled kernel checks an UNMAP's whole range ({@link KernelFix#TCE_RANGE_CHECK}). */
    final boolean tceRangeCheck;
    /** The modelled kernel unsets never-set windows in the attach cleanup ({@link KernelFix#CVE_2025_21713}). */
    final boolean unsetsNeverSetWindows;

    boolean enabled;
    boolean defWindowPending;
    boolean mmSet;
    long lockedPages;
    final IommuTable[] tables = new IommuTable[MAX_TABLES];
    final List<PseriesPe> groups = new ArrayList<>(); // index 0 = list head
    final List<MmIommu.Region> prereg = new ArrayList<>(); // index 0 = list head

    final TceWindows windows = new TceWindows(this);
    final TceBuild build = new TceBuild(this);
    private final TcePrereg registration = new TcePrereg(this);
    private final TceEeh eehOps = new TceEeh(this);

    private TceContainer(boolean v2, AddressSpace as, MmIommu mm, Oops oops, boolean eeh, String kernel) {
        this.v2 = v2;
        this.as = as;
        this.mm = mm;
        this.oops = oops;
        this.kps = as.pageShift();
        this.eeh = eeh;
        this.tceRangeCheck = KernelFix.TCE_RANGE_CHECK.fixedIn(kernel);
        this.unsetsNeverSetWindows = KernelFix.CVE_2025_21713.affects(kernel);
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

    /** {@code tce_iommu_open}: only the two SPAPR types, as the kernel release {@code kernel} does them. */
    public static OpenResult open(long type, AddressSpace as, MmIommu mm, Oops oops, boolean eeh, String kernel) {
        if (type != VfioUapi.VFIO_SPAPR_TCE_IOMMU && type != VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU) {
            return new OpenResult(null, -EINVAL); // "tce_vfio: Wrong IOMMU type"
        }
        return new OpenResult(new TceContainer(type == VfioUapi.VFIO_SPAPR_TCE_v2_IOMMU, as, mm, oops, eeh, kernel), 0);
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
                    if (unsetsNeverSetWindows && pe.table(j) == null) {
                        throw oops.oops(String.format("VFIO_GROUP_SET_CONTAINER of a second group onto a v2 container"
                                + " with a window: set_window failed (%d) and spapr_tce_unset_window dereferences the"
                                + " group's never-set table %d (%s, fixed by %s in %s)", ret, j, "CVE-2025-21713",
                                KernelFix.CVE_2025_21713.commit(), KernelFix.CVE_2025_21713.fixedReleases()));
                    }
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
                build.clear(tables[i], tables[i].itOffset(), tables[i].itSize());
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
                windows.freeTable(tables[i]);
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
                return build.mapDma(seg);
            case VFIO_IOMMU_UNMAP_DMA:
                return build.unmapDma(seg);
            case VFIO_IOMMU_SPAPR_REGISTER_MEMORY:
                return v2 ? registration.registerMemory(seg) : -ENOTTY;
            case VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY:
                return v2 ? registration.unregisterMemory(seg) : -ENOTTY;
            case VFIO_IOMMU_ENABLE:
                return v2 ? -ENOTTY : enable();
            case VFIO_IOMMU_DISABLE:
                if (v2) {
                    return -ENOTTY;
                }
                disable();
                return 0;
            case VFIO_EEH_PE_OP:
                return eehOps.eehPeOp(seg);
            case VFIO_IOMMU_SPAPR_TCE_CREATE:
                return v2 ? windows.create(seg) : -ENOTTY;
            case VFIO_IOMMU_SPAPR_TCE_REMOVE:
                return v2 ? windows.remove(seg) : -ENOTTY;
            default:
                return -ENOTTY;
        }
    }

    private long getInfo(MemorySegment seg) {
        if (groups.isEmpty()) {
            return -ENXIO;
        }
        PseriesPe pe = groups.get(0);
        long bad = UserCopy.copyIn(seg, vfio_iommu_spapr_tce_info.argsz, vfio_iommu_spapr_tce_info.MINSZ);
        if (bad != 0) {
            return bad;
        }
        int argsz = vfio_iommu_spapr_tce_info.argsz.get(seg);
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

    void disable() {
        if (!enabled) {
            return;
        }
        enabled = false;
        as.accountLockedVm(lockedPages, false);
    }

    /**
     * The prologue of the SPAPR ioctls: copy_from_user of {@code minsz} bytes (EFAULT), argsz below
     * minsz (EINVAL) and, for the ioctls that define no flags, any flag (EINVAL). 0 when the call goes on.
     * Every SPAPR argument starts with {@code argsz} and {@code flags}, at the offsets of
     * {@code vfio_iommu_type1_dma_map}'s.
     */
    static long prologue(MemorySegment seg, long minsz, boolean noFlags) {
        long bad = UserCopy.copyIn(seg, vfio_iommu_type1_dma_map.argsz, minsz);
        if (bad != 0) {
            return bad;
        }
        return noFlags && vfio_iommu_type1_dma_map.flags.get(seg) != 0 ? -EINVAL : 0;
    }

}
