package io.jvfio;

import io.jvfio.abi.VfioIoctl;
import io.jvfio.backend.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Debug logging of every ioctl the public API issues: name, fd, request number, result. */
final class IoctlLog {
    private IoctlLog() {}

    static final Logger LOG = LoggerFactory.getLogger("io.jvfio.ioctl");

    static void log(VfioIoctl ioctl, int request, int fd, long result) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} fd={} request=0x{} -> {}", ioctl.name(), fd, Integer.toHexString(request),
                    result < 0 ? Errno.format((int) -result) : Long.toString(result));
        }
    }
}
