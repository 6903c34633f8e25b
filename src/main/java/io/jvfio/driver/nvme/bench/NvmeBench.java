package io.jvfio.driver.nvme.bench;

import io.jvfio.Vfio;
import io.jvfio.driver.nvme.NvmeController;
import io.jvfio.driver.nvme.NvmeHost;
import io.jvfio.driver.nvme.NvmeOptions;
import io.jvfio.driver.nvme.NvmeQueuePair;
import io.jvfio.toolkit.DmaMemory;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * jvfio's side of the NVMe benchmark (docs/benchmarks.md): the polled driver reading the first NVMe
 * controller bound to vfio-pci, in the three workloads {@code native/guest-bench/nvmebench.c} runs on
 * the kernel's nvme driver with O_DIRECT: 4 KiB random reads at queue depth 1 and 32, 128 KiB
 * sequential reads at depth 1; then, on a second open of the controller with MSI-X, 4 KiB random
 * reads at depth 1 with the thread asleep on the queue's eventfd until the interrupt, as the kernel's
 * reader sleeps ({@code randread-4k-qd1-msix}, compared with the kernel's {@code randread-4k-qd1}).
 * Each runs {@code warmup} seconds, then {@code seconds} measured, and prints
 * {@code nvmebench jvfio WORKLOAD iops=N median_ns=N} (latency from submission to completion).
 *
 * <p>Usage: {@code NvmeBench [SECONDS [WARMUP]]} (default 5 and 3).
 */
public final class NvmeBench {
    private NvmeBench() {}

    /** A workload: block count per read, queue depth, random or sequential, polled or asleep until the interrupt. */
    record Workload(String name, int bytes, int depth, boolean random, boolean interrupts) {}

    static final Workload[] WORKLOADS = {
        new Workload("randread-4k-qd1", 4096, 1, true, false),
        new Workload("randread-4k-qd32", 4096, 32, true, false),
        new Workload("seqread-128k-qd1", 128 << 10, 1, false, false)};
    /** The interrupt-driven run: its own open of the controller, with {@link NvmeOptions.Completion#MSIX}. */
    static final Workload MSIX = new Workload("randread-4k-qd1-msix", 4096, 1, true, true);

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        double warmup = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        NvmeHost.Location at = NvmeHost.kernelControllers().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no NVMe controller bound to vfio-pci"));
        NvmeOptions o = NvmeOptions.defaults().withQueueEntries(64);
        runAll(at, o, WORKLOADS, seconds, warmup);
        runAll(at, o.withCompletion(NvmeOptions.Completion.MSIX), new Workload[] {MSIX}, seconds, warmup);
    }

    private static void runAll(NvmeHost.Location at, NvmeOptions o, Workload[] workloads, double seconds, double warmup)
            throws Exception {
        try (Vfio vfio = Vfio.kernel();
                NvmeController nvme = NvmeController.open(vfio, at.group(), at.address(), o);
                NvmeQueuePair q = nvme.queuePair()) {
            System.out.println("nvmebench device " + at.address() + " " + nvme + " " + o.completion());
            DmaMemory buf = nvme.session().allocate(32L * (128 << 10));
            nvme.session().map(buf);
            for (Workload w : workloads) {
                run(q, nvme.namespace().blocks(), buf, w, warmup);
                long[] r = run(q, nvme.namespace().blocks(), buf, w, seconds);
                System.out.printf("nvmebench jvfio %s iops=%d median_ns=%d%n", w.name(), r[0], r[1]);
            }
        }
    }

    /** Runs {@code w} for {@code seconds}: {IOPS, median latency ns}. */
    static long[] run(NvmeQueuePair q, long nsBlocks, DmaMemory buf, Workload w, double seconds) throws Exception {
        int bs = q.blockSize();
        int count = w.bytes() / bs;
        long span = (nsBlocks / count) * count;
        SplittableRandom rnd = new SplittableRandom(42);
        long[] lat = new long[1 << 20];
        long[] started = new long[w.depth()];
        int[] ids = new int[w.depth()];
        int n = 0;
        long next = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        int inFlight = 0;
        int slot = 0;
        while (true) {
            long now = System.nanoTime();
            boolean more = now < end;
            if (more && inFlight < w.depth()) {
                long lba = w.random() ? rnd.nextLong(span / count) * count : next;
                next = (next + count) % span;
                int s = (slot + inFlight) % w.depth();
                started[s] = System.nanoTime();
                ids[s] = q.submitRead(lba, count, buf, (long) s * w.bytes());
                inFlight++;
                continue;
            }
            if (inFlight == 0) {
                break;
            }
            // Completion in submission order: the oldest first (QEMU completes in order on one queue).
            // With interrupts the await sleeps on the eventfd; polled, the loop spins on the phase tag.
            if (w.interrupts() || q.completed(ids[slot]) || !more) {
                q.await(ids[slot]);
                if (n < lat.length) {
                    lat[n] = System.nanoTime() - started[slot];
                }
                n++;
                slot = (slot + 1) % w.depth();
                inFlight--;
            } else {
                Thread.onSpinWait();
            }
        }
        long elapsed = System.nanoTime() - t0;
        long[] sorted = Arrays.copyOf(lat, Math.min(n, lat.length));
        Arrays.sort(sorted);
        return new long[] {Math.round(n / (elapsed / 1e9)), sorted.length == 0 ? 0 : sorted[sorted.length / 2]};
    }
}
