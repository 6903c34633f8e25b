package io.jvfio.emul.device;

import io.jvfio.emul.QemuAbortException;
import io.jvfio.emul.fs.EmuFile;

/** What a device model needs from the platform around it. */
public interface DeviceHost {
    /** The file behind a process fd ({@code fdget}), or null. */
    EmuFile file(int fd);

    /** Records that QEMU aborted and gives the exception to throw. */
    QemuAbortException qemuAbort(String message);
}
