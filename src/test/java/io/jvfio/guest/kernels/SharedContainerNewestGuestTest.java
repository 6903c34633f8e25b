package io.jvfio.guest.kernels;

import io.jvfio.Vfio;
import io.jvfio.harness.junit.PseriesGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link SharedContainerGuestTest} on the newest kernel (7.2.12): run by {@code make test-kernel-newest}. */
@Tag("guest-newest")
@PseriesGuest(kernel = "newest", devices = {"edu", "edu"}, phbs = 2)
class SharedContainerNewestGuestTest {

    @Test
    void secondGroupOntoAContainerWithAWindow_letThroughOnAFixedKernel(Vfio vfio) throws Exception {
        SharedContainerGuestTest.secondGroupLetThrough(vfio);
    }
}
