package io.jvfio.emul;

import io.jvfio.emul.device.EduModel;
import io.jvfio.emul.device.VfioPciDevice;
import io.jvfio.emul.mem.MmIommu;
import io.jvfio.emul.papr.SparseTceTable;
import io.jvfio.emul.papr.SpaprTceTable;
import io.jvfio.emul.pseries.IommuTable;
import io.jvfio.emul.pseries.PseriesPe;
import io.jvfio.emul.spapr.TceContainer;
import io.jvfio.emul.vfio.ContainerFile;
import io.jvfio.emul.vfio.VfioContainer;
import io.jvfio.emul.vfio.VfioGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Snapshots of an {@link EmulatorPlatform} for tests and tools: what the guest kernel's
 * {@code /sys}, {@code dmesg} and a debugger would show (containers, windows, mapped TCEs,
 * pre-registered regions, devices, faults). Nothing here changes the platform.
 */
final class EmulatorInspection {
    private EmulatorInspection() {}

    /** The profile's process uid and the node of {@code path}: {@code /dev/vfio/vfio} is 0666, a group's is its spec's. */
    static io.jvfio.backend.NodeAccess nodeAccess(Profile profile, String path) {
        int uid = profile.credentials().uid();
        String node = null;
        if ("/dev/vfio/vfio".equals(path)) {
            node = "0:0 0666";
        } else if (path != null && path.matches("/dev/vfio/[0-9]{1,9}")) {
            GroupSpec g = profile.group(Integer.parseInt(path.substring("/dev/vfio/".length())));
            node = g == null ? null : g.node().toString();
        }
        return new io.jvfio.backend.NodeAccess("uid " + uid, uid, node);
    }

    /** The process's RLIMIT_MEMLOCK, locked_vm and CAP_IPC_LOCK. */
    static io.jvfio.backend.LockedMemory lockedMemory(EmulatorPlatform p) {
        p.lock.lock();
        try {
            return new io.jvfio.backend.LockedMemory(p.as.memlockLimitBytes(), p.as.lockedVmPages() * p.as.pageSize(),
                    p.profile.credentials().capable(Credentials.Capability.CAP_IPC_LOCK));
        } finally {
            p.lock.unlock();
        }
    }

    /** A snapshot of the platform; {@code withIovaPages} lists every mapped IOMMU page of every window. */
    static EmulatorState inspect(EmulatorPlatform p, boolean withIovaPages) {
        p.lock.lock();
        try {
            List<EmulatorState.Container> cs = new ArrayList<>();
            List<Integer> open = p.fds.openFds();
            for (VfioContainer c : p.vfio.containers()) {
                TceContainer t = c.iommu();
                List<Integer> groups = new ArrayList<>();
                for (VfioGroup g : c.groups()) {
                    groups.add(g.number());
                }
                List<EmulatorState.Window> ws = new ArrayList<>();
                if (t != null) {
                    for (int i = 0; i < TceContainer.MAX_TABLES; i++) {
                        IommuTable tbl = t.table(i);
                        if (tbl != null) {
                            ws.add(window(i, tbl, withIovaPages));
                        }
                    }
                }
                boolean fdOpen = p.fds.get(c.id()) instanceof ContainerFile cf && cf.container() == c;
                cs.add(new EmulatorState.Container(c.id(), fdOpen, t == null ? "none" : t.v2() ? "v2" : "v1",
                        t != null && t.enabled(), t != null && t.defWindowPending(), List.copyOf(groups),
                        List.copyOf(ws), t == null ? 0 : t.lockedPages()));
            }
            List<EmulatorState.PreregRegion> regions = new ArrayList<>();
            for (MmIommu.Region r : p.mm.regions()) {
                int users = 0;
                for (VfioContainer c : p.vfio.containers()) {
                    if (c.iommu() != null && c.iommu().prereg().contains(r)) {
                        users++;
                    }
                }
                regions.add(new EmulatorState.PreregRegion(r.ua(), r.size(), r.mappedTces(), r.used(), users,
                        r.pageShift()));
            }
            Set<Integer> failed = new LinkedHashSet<>();
            for (PseriesPe pe : p.pes) {
                if (pe.failedDdw()) {
                    failed.add(pe.group());
                }
            }
            List<EmulatorState.Device> ds = new ArrayList<>();
            for (VfioPciDevice d : p.devices) {
                if (d.gone()) {
                    continue; // hot-removed
                }
                EduModel edu = d.function() instanceof EduModel e ? e : null;
                ds.add(new EmulatorState.Device(d.name(), d.group(), d.openCount(), d.config().command(), d.irqType(),
                        edu == null ? 0 : edu.transfers(), edu == null ? 0 : edu.failedTransfers(),
                        edu == null ? 0 : edu.failedBytes(), d.lostMsix()));
            }
            return new EmulatorState(List.copyOf(cs), p.as.lockedVmPages() * p.profile.kernelPageSize(),
                    List.copyOf(regions), Collections.unmodifiableSet(failed), List.copyOf(ds), !p.kernelBugs.isEmpty(),
                    List.copyOf(p.kernelBugs), p.qemuAbort != null, List.copyOf(open), p.as.vmas().size(),
                    p.as.liveBlocks(), p.as.hugePagesFree(), List.copyOf(p.dmesg));
        } finally {
            p.lock.unlock();
        }
    }

    private static EmulatorState.Window window(int slot, IommuTable tbl, boolean withPages) {
        SpaprTceTable ht = tbl.phb().byLiobn(tbl.liobn());
        long mapped = 0;
        List<Long> pages = List.of();
        if (ht != null && ht.enabled() && ht.pageShift() == tbl.pageShift()) {
            int shift = tbl.pageShift();
            long[] range = ht.indexRange(tbl.itOffset(), tbl.itSize());
            long from = range[0];
            long to = Math.max(from, range[1]);
            SparseTceTable e = ht.entries();
            mapped = e.countNonZero(from, to);
            if (withPages) {
                List<Long> p = new ArrayList<>();
                for (long h : e.nonZeroIndexes(from, to)) {
                    p.add((ht.firstEntry() + h) << shift);
                }
                pages = List.copyOf(p);
            }
        }
        return new EmulatorState.Window(slot, tbl.start(), tbl.size(), tbl.pageShift(), tbl.liobn(), mapped, pages);
    }

    /** The bytes of edu device {@code pciAddress}'s DMA buffer. */
    static byte[] deviceBuffer(EmulatorPlatform p, String pciAddress) {
        p.lock.lock();
        try {
            for (VfioPciDevice d : p.devices) {
                if (d.name().equals(pciAddress) && !d.gone()) {
                    if (d.function() instanceof EduModel edu) {
                        return edu.buffer();
                    }
                    throw new IllegalArgumentException(pciAddress + " is not an edu device");
                }
            }
            throw new IllegalArgumentException("no device " + pciAddress);
        } finally {
            p.lock.unlock();
        }
    }
}
