package io.jvfio.contract;

import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.EmulatorState;

/** What the emulator can show that the kernel keeps to itself (EmulatedBackend.inspect()). */
final class EmulatorProbe {
    private EmulatorProbe() {}

    static EmulatedBackend emulator(VfioBackend b) {
        if (b instanceof EmulatedBackend e) {
            return e;
        }
        throw new IllegalArgumentException("not an emulator: " + b.description());
    }

    static EmulatorState state(VfioBackend b, boolean withIovaPages) {
        return emulator(b).inspect(withIovaPages);
    }

    static long lockedVmBytes(VfioBackend b) {
        return emulator(b).inspect().lockedVmBytes();
    }
}
