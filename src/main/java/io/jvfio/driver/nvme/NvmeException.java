package io.jvfio.driver.nvme;

import java.io.IOException;
import java.util.Optional;

/**
 * An NVMe command or controller state failed. The message names the command, the queue (0 is the
 * admin queue) and what was seen: the completion status, the time waited, or the registers read.
 */
public final class NvmeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The controller completed the command with an error status ({@link #status()}). */
        STATUS,
        /** No completion within the command timeout. */
        TIMEOUT,
        /** CSTS.CFS: the controller reported a fatal status; it must be reset. */
        FATAL,
        /** The controller did not become ready (or not ready, or shut down) within CAP.TO. */
        NOT_READY,
        /** The device is not a controller this driver can run (not NVMe, no NVM command set, ...). */
        UNSUPPORTED
    }

    private final Kind kind;
    private final String command;
    private final int queue;
    private final transient NvmeStatus status;

    NvmeException(Kind kind, String command, int queue, NvmeStatus status, String detail) {
        super(format(kind, command, queue, status, detail));
        this.kind = kind;
        this.command = command;
        this.queue = queue;
        this.status = status;
    }

    static NvmeException status(String command, int queue, NvmeStatus status) {
        return new NvmeException(Kind.STATUS, command, queue, status, null);
    }

    private static String format(Kind kind, String command, int queue, NvmeStatus status, String detail) {
        StringBuilder b = new StringBuilder("NVMe ").append(command);
        if (queue >= 0) {
            b.append(" on queue ").append(queue).append(queue == 0 ? " (admin)" : "");
        }
        b.append(": ");
        switch (kind) {
            case STATUS -> b.append("failed with status ").append(status);
            case TIMEOUT -> b.append("timed out");
            case FATAL -> b.append("controller fatal status (CSTS.CFS): the controller must be reset");
            case NOT_READY -> b.append("controller not ready");
            case UNSUPPORTED -> b.append("unsupported");
        }
        if (detail != null && !detail.isEmpty()) {
            b.append(" — ").append(detail);
        }
        return b.toString();
    }

    public Kind kind() {
        return kind;
    }

    /** The command, e.g. {@code READ lba 0x10 blocks 8}. */
    public String command() {
        return command;
    }

    /** The queue id (0 admin), or -1 when no queue was involved. */
    public int queue() {
        return queue;
    }

    /** The completion status, for {@link Kind#STATUS}. */
    public Optional<NvmeStatus> status() {
        return Optional.ofNullable(status);
    }
}
