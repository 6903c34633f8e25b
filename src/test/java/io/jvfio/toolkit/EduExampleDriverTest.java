package io.jvfio.toolkit;

import static org.junit.jupiter.api.Assertions.*;

import io.jvfio.Vfio;
import io.jvfio.VfioException;
import io.jvfio.contract.ContractTest;
import io.jvfio.contract.Fixture;
import io.jvfio.driver.edu.EduDevice;
import io.jvfio.driver.edu.example.EduExampleDriver;
import io.jvfio.driver.edu.example.EduExampleDriver.Completion;
import io.jvfio.emul.Profile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The edu example driver on every emulated platform, and polling and by interrupt over the backend table (the guest's kernel included). */
class EduExampleDriverTest {
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private static void exercise(EduExampleDriver d) throws VfioException {
        assertEquals(EduDevice.ID, d.id());
        assertEquals(~0x12345678, d.liveness(0x12345678));
        assertEquals(3628800, d.factorial(10));
        for (int n : new int[] {1, 100, 4000, EduDevice.MAX_TRANSFER}) {
            byte[] in = pattern(n);
            assertArrayEquals(in, d.roundTrip(in), n + " bytes");
        }
        assertTrue(d.session().window().contains(d.sourceIova()));
        assertTrue(d.session().window().contains(d.destinationIova()));
    }

    @ParameterizedTest
    @ValueSource(strings = {Profile.QEMU_PSERIES, Profile.QEMU_PSERIES_2PHB, Profile.SRIOV_VF, Profile.BIG_WINDOW})
    void everyProfile_interruptsWherePossible(String profile) throws VfioException {
        try (Vfio vfio = VfioHost.emulated(profile); EduExampleDriver d = EduExampleDriver.open(vfio, 0)) {
            assertEquals(Completion.INTERRUPTS, d.completion(), d.completionNote());
            exercise(d);
        }
    }

    @org.junit.jupiter.api.Test
    void noDdw_isRefusedWithTheReason() {
        try (Vfio vfio = VfioHost.emulated(Profile.NO_DDW)) {
            VfioException e = assertThrows(VfioException.class, () -> EduExampleDriver.open(vfio, 0));
            assertTrue(e.getMessage().contains("no DMA window can be set up"), e.getMessage());
        }
    }

    @ContractTest
    @Tag("guest-ok")
    void overTheBackendTable_polling(Fixture f) throws VfioException {
        bothCompletionModes(f, Completion.POLLING);
    }

    @ContractTest
    @Tag("guest-ok")
    void overTheBackendTable_interrupts(Fixture f) throws VfioException {
        bothCompletionModes(f, Completion.INTERRUPTS);
    }

    private static void bothCompletionModes(Fixture f, Completion mode) throws VfioException {
        Vfio vfio = f.vfio();
        try (EduExampleDriver d = EduExampleDriver.open(vfio, 0, VfioHost.firstDevice(vfio, 0), mode,
                        SessionOptions.defaults())) {
            assertEquals(mode, d.completion(), d.completionNote());
            exercise(d);
        }
    }

    @ContractTest
    @Tag("guest-ok")
    void main_flow_printsThePlanAndOk(Fixture f) throws VfioException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Vfio vfio = f.vfio();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            EduExampleDriver.run(vfio, 0, VfioHost.firstDevice(vfio, 0), Completion.AUTO, out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertTrue(text.contains("decisions:"), text);
        assertTrue(text.contains("4000 bytes verified"), text);
        assertTrue(text.strip().endsWith("edu example: OK"), text);
    }
}
