package io.jvfio.cli;

import io.jvfio.abi.__user_cap_data_struct;
import io.jvfio.backend.kernel.ProcessCredentials;
import io.jvfio.emul.Credentials;
import io.jvfio.emul.DeviceNode;
import io.jvfio.scenario.ProcessSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a scenario's {@code #%} header on the kernel backend, for the run of that one file, and
 * undoes it on {@link #close}: the group nodes' owner and mode (what a udev rule or chown would set),
 * {@code RLIMIT_MEMLOCK} (setrlimit: the soft limit, and the hard one if it is lower), and the user: the calling thread's fsuid, fsgid and
 * effective capabilities, the credentials the kernel checks at open and in {@code account_locked_vm}.
 * The run's system calls must stay on this thread. Supplementary groups and the real uid stay the
 * process's: a fully unprivileged process needs a launcher (README, "Running without root").
 */
final class ProcessApplier implements AutoCloseable {
    private final List<Runnable> undo = new ArrayList<>();

    /** A part of the header cannot be taken on here; the message says which and why. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private ProcessApplier() {}

    /**
     * Applies {@code p}.
     *
     * @throws Refused with the reason when a part cannot be applied (nothing stays applied)
     */
    static ProcessApplier apply(ProcessSpec p) {
        ProcessApplier a = new ProcessApplier();
        try {
            for (Map.Entry<Integer, DeviceNode> e : p.nodes().entrySet()) {
                a.node(Path.of("/dev/vfio/" + e.getKey()), e.getValue());
            }
            if (p.memlockBytes() >= 0) {
                a.memlock(p.memlockBytes());
            }
            if (p.dropsPrivileges()) {
                long keep = 0;
                for (Credentials.Capability c : p.capabilities()) {
                    keep |= 1L << switch (c) {
                        case CAP_IPC_LOCK -> __user_cap_data_struct.CAP_IPC_LOCK;
                        case CAP_DAC_OVERRIDE -> __user_cap_data_struct.CAP_DAC_OVERRIDE;
                    };
                }
                Credentials cred = p.credentials(Credentials.ROOT);
                ProcessCredentials.Dropped d = ProcessCredentials.dropThread(cred.uid(), cred.gid(), keep);
                a.undo.add(d::close);
            }
            return a;
        } catch (RuntimeException e) {
            a.close();
            throw e instanceof Refused r ? r : new Refused(e.getMessage(), e);
        }
    }

    private void node(Path path, DeviceNode n) {
        if (!Files.exists(path)) {
            return; // opening it is ENOENT either way, as on the emulator
        }
        try {
            Object uid = Files.getAttribute(path, "unix:uid");
            Object gid = Files.getAttribute(path, "unix:gid");
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
            Files.setAttribute(path, "unix:uid", n.uid());
            Files.setAttribute(path, "unix:gid", n.gid());
            Files.setAttribute(path, "unix:mode", n.mode());
            undo.add(() -> {
                try {
                    Files.setAttribute(path, "unix:uid", uid);
                    Files.setAttribute(path, "unix:gid", gid);
                    Files.setPosixFilePermissions(path, mode);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot restore " + path + ": " + e.getMessage(), e);
                }
            });
        } catch (IOException | UnsupportedOperationException e) {
            throw new Refused("cannot hand " + path + " to " + n + " (#% node needs root): " + e.getMessage(), e);
        }
    }

    /** The soft limit; the hard one too where it is lower (root has CAP_SYS_RESOURCE), put back after. */
    private void memlock(long bytes) {
        long[] before = ProcessCredentials.memlockLimits();
        int r = ProcessCredentials.setMemlockLimits(bytes, Math.max(bytes, before[1]));
        if (r < 0) {
            throw new Refused("setrlimit(RLIMIT_MEMLOCK, " + bytes + ") failed (errno " + -r + "): the hard limit is "
                    + before[1] + " and raising it needs CAP_SYS_RESOURCE", null);
        }
        undo.add(() -> ProcessCredentials.setMemlockLimits(before[0], before[1]));
    }

    /** Undoes every part, the last applied first. */
    @Override
    public void close() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            undo.get(i).run();
        }
        undo.clear();
    }
}
