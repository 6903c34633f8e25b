package com.example.edu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jvfio.Vfio;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.VfioHost;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The driver's tests, written once. Each subclass says where they run: on the emulator
 * ({@link EduDriverEmulatedTest}) or in a pSeries guest on the real kernel ({@link EduDriverGuestTest});
 * the {@code Vfio} parameter is that platform. The edu device is the first device of IOMMU group 0 on both.
 */
abstract class EduDriverContract {
    private static final int GROUP = 0;

    @Test
    void identifiesItself(Vfio vfio) throws Exception {
        try (DmaSession s = DmaSession.open(vfio, GROUP); EduDriver edu = EduDriver.open(s, VfioHost.firstDevice(vfio, GROUP))) {
            assertEquals(0x010000ed, edu.id());
        }
    }

    @Test
    void livenessAnswersTheComplement(Vfio vfio) throws Exception {
        try (DmaSession s = DmaSession.open(vfio, GROUP); EduDriver edu = EduDriver.open(s, VfioHost.firstDevice(vfio, GROUP))) {
            assertEquals(~0x12345678, edu.liveness(0x12345678));
        }
    }

    @Test
    void computesFactorials(Vfio vfio) throws Exception {
        try (DmaSession s = DmaSession.open(vfio, GROUP); EduDriver edu = EduDriver.open(s, VfioHost.firstDevice(vfio, GROUP))) {
            assertEquals(120, edu.factorial(5));
            assertEquals(3628800, edu.factorial(10));
        }
    }

    @Test
    void echoesThroughDma(Vfio vfio) throws Exception {
        byte[] data = "a driver tested on the real POWER kernel, from any machine".getBytes(StandardCharsets.UTF_8);
        try (DmaSession s = DmaSession.open(vfio, GROUP); EduDriver edu = EduDriver.open(s, VfioHost.firstDevice(vfio, GROUP))) {
            assertArrayEquals(data, edu.echo(data));
        }
    }
}
