package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Device;
import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.emul.Profile;
import org.junit.jupiter.api.Test;

/** {@link DmaSession#releaseOnRequest}'s misuse; the release itself runs in DlparTest on the emulator and in the guest. */
class DmaSessionReleaseTest {
    @Test
    void aDeviceNotOpenedThroughTheSession_isRefused_namingTheWay() throws VfioException {
        try (Vfio vfio = VfioHost.emulated(Profile.QEMU_PSERIES);
                DmaSession s = DmaSession.open(vfio, 0, SessionOptions.defaults().withBudget(1L << 20));
                Device d = s.group().orElseThrow().openDevice(VfioHost.firstDevice(vfio, 0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.releaseOnRequest(d, null));
            assertTrue(e.getMessage().contains("openDevice"), e.getMessage());
        }
    }
}
