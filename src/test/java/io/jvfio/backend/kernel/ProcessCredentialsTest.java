package io.jvfio.backend.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jvfio.abi.__user_cap_data_struct;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's own process: the calls the kernel runner makes to take on a scenario's {@code #%} header. */
class ProcessCredentialsTest {

    @Test
    void memlockSoftLimitSetsAndRestores() {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "needs Linux");
        long[] before = ProcessCredentials.memlockLimits();
        assumeTrue(before[1] >= 64 * 1024, "the hard RLIMIT_MEMLOCK is below 64 KiB: " + before[1]);
        try {
            assertEquals(0, ProcessCredentials.setMemlockLimits(64 * 1024, before[1]));
            assertEquals(64 * 1024, ProcessCredentials.memlockLimits()[0]);
            assertEquals(before[1], ProcessCredentials.memlockLimits()[1], "the hard limit is kept");
            if (before[1] != Long.MAX_VALUE) {
                assertTrue(ProcessCredentials.setMemlockLimits(before[1] + 4096, before[1]) < 0, "soft above hard");
            }
        } finally {
            ProcessCredentials.setMemlockLimits(before[0], before[1]);
        }
        assertArrayEquals(before, ProcessCredentials.memlockLimits());
        assertTrue(ProcessCredentials.lockedBytes() >= 0, "VmLck is in /proc/self/status");
    }

    @Test
    void threadDropDeniesARootOnlyFileAndRestores(@TempDir Path dir) throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "needs Linux");
        assumeTrue(ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_IPC_LOCK)
                && ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_DAC_OVERRIDE),
                "needs root with CAP_IPC_LOCK and CAP_DAC_OVERRIDE (as the guest runs)");
        Path node = Files.createFile(dir.resolve("node"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        try (ProcessCredentials.Dropped d = ProcessCredentials.dropThread(1000, 1000, 0)) {
            assertFalse(ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_IPC_LOCK));
            assertFalse(ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_DAC_OVERRIDE));
            assertThrows(AccessDeniedException.class, () -> Files.newByteChannel(node,
                    StandardOpenOption.READ, StandardOpenOption.WRITE).close(), "root:root 0600, fsuid 1000");
        }
        assertTrue(ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_IPC_LOCK), "restored");
        Files.newByteChannel(node, StandardOpenOption.READ, StandardOpenOption.WRITE).close();
        try (ProcessCredentials.Dropped d = ProcessCredentials.dropThread(1000, 1000,
                1L << __user_cap_data_struct.CAP_IPC_LOCK)) {
            assertTrue(ProcessCredentials.threadCapable(__user_cap_data_struct.CAP_IPC_LOCK), "kept");
        }
    }
}
