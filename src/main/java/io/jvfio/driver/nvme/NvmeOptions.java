package io.jvfio.driver.nvme;

import java.time.Duration;

/**
 * How an {@link NvmeController} runs.
 *
 * @param completion how completions are detected
 * @param timeout the longest a command may take (TCG guests are slow: seconds, not milliseconds)
 * @param queueEntries entries per I/O queue (capped by CAP.MQES)
 * @param maxQueuePairs I/O queue pairs asked for (Set Features, Number of Queues); MSI-X vectors are
 *     sized for them
 * @param maxTransfer the largest single command's data, in bytes (capped by MDTS and one PRP list
 *     page); each queue pair's bounce buffer has this size
 * @param window32 map the queues and buffers into the session's 32-bit default window
 *     ({@link io.jvfio.toolkit.DmaSession#map32}) instead of its main window
 */
public record NvmeOptions(Completion completion, Duration timeout, int queueEntries, int maxQueuePairs,
        int maxTransfer, boolean window32) {

    /** How command completion is detected. */
    public enum Completion {
        /** Spin on the completion queue's phase tag: no interrupt, lowest latency, one busy CPU. */
        POLLED,
        /** Each queue's MSI-X vector signals an eventfd (VFIO_DEVICE_SET_IRQS); the waiter sleeps on it. */
        MSIX
    }

    public NvmeOptions {
        if (completion == null || timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("completion and a positive timeout are required");
        }
        if (queueEntries < 2 || maxQueuePairs < 1 || maxTransfer < 4096) {
            throw new IllegalArgumentException(String.format(
                    "queueEntries >= 2 (%d), maxQueuePairs >= 1 (%d), maxTransfer >= 4096 (%d)", queueEntries,
                    maxQueuePairs, maxTransfer));
        }
    }

    /** Polled, 10 s timeout, 64-entry queues, up to 4 queue pairs, 128 KiB transfers, the main window. */
    public static NvmeOptions defaults() {
        return new NvmeOptions(Completion.POLLED, Duration.ofSeconds(10), 64, 4, 128 << 10, false);
    }

    public NvmeOptions withCompletion(Completion c) {
        return new NvmeOptions(c, timeout, queueEntries, maxQueuePairs, maxTransfer, window32);
    }

    public NvmeOptions withTimeout(Duration t) {
        return new NvmeOptions(completion, t, queueEntries, maxQueuePairs, maxTransfer, window32);
    }

    public NvmeOptions withQueueEntries(int n) {
        return new NvmeOptions(completion, timeout, n, maxQueuePairs, maxTransfer, window32);
    }

    public NvmeOptions withMaxQueuePairs(int n) {
        return new NvmeOptions(completion, timeout, queueEntries, n, maxTransfer, window32);
    }

    public NvmeOptions withMaxTransfer(int bytes) {
        return new NvmeOptions(completion, timeout, queueEntries, maxQueuePairs, bytes, window32);
    }

    public NvmeOptions withWindow32(boolean w) {
        return new NvmeOptions(completion, timeout, queueEntries, maxQueuePairs, maxTransfer, w);
    }
}
