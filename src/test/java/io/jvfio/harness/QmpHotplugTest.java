package io.jvfio.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QmpHotplugTest {
    @Test
    void markerLine_becomesTheQmpCommand_evenAfterKernelText() {
        assertEquals("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"edu\",\"id\":\"x\",\"bus\":\"phb1.0\"}}",
                QmpHotplug.command("[  12.3] JVFIO-HOTPLUG device_add {\"driver\":\"edu\",\"id\":\"x\",\"bus\":\"phb1.0\"}"));
        assertEquals("{\"execute\":\"device_del\",\"arguments\":{}}", QmpHotplug.command("JVFIO-HOTPLUG device_del"));
    }

    @Test
    void otherLines_askForNothing() {
        assertNull(QmpHotplug.command("[init] t=2.0 run"));
        assertNull(QmpHotplug.command("JVFIO-HOTPLUGdevice_add {}"));
    }

    @Test
    void onlyDeviceAddAndDel_areRelayed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QmpHotplug.command("JVFIO-HOTPLUG quit"));
        assertTrue(e.getMessage().contains("'quit'"), e.getMessage());
    }

    @Test
    void refusedMarker_isRecorded_andNoSocketIsTouched() {
        try (QmpHotplug q = new QmpHotplug(Path.of("/nonexistent/qmp.sock"))) {
            q.accept(new ConsoleLine(0, "JVFIO-HOTPLUG system_powerdown"));
            assertEquals(1, q.replies().size());
            assertTrue(q.replies().getFirst().startsWith("refused: "), q.replies().toString());
        }
    }

    @Test
    void unreachableSocket_isRecordedAsFailed() {
        QmpHotplug q = new QmpHotplug(Path.of("/nonexistent/qmp.sock"));
        q.accept(new ConsoleLine(0, "JVFIO-HOTPLUG device_del {\"id\":\"x\"}"));
        q.close(); // waits for the command in flight
        List<String> r = q.replies();
        assertEquals(1, r.size());
        assertTrue(r.getFirst().contains("-> failed: "), r.toString());
    }

    @Test
    void qemuArgs_openTheSocketWithoutWaiting() {
        assertEquals(List.of("-qmp", "unix:/r/qmp.sock,server=on,wait=off"), new QmpHotplug(Path.of("/r/qmp.sock")).qemuArgs());
    }
}
