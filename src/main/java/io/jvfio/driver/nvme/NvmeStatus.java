package io.jvfio.driver.nvme;

import java.util.Map;

/**
 * A completion's status field (NVMe 1.4 figure 124, the 15 bits above the phase tag): status code
 * type, status code, and the More and Do Not Retry flags, with the specification's name.
 *
 * @param raw the 15-bit status field (completion dword 3 bits 31:17)
 */
public record NvmeStatus(int raw) {
    /** Status code types. */
    public static final int GENERIC = 0;
    public static final int COMMAND_SPECIFIC = 1;
    public static final int MEDIA = 2;

    /** Generic: LBA Out of Range (the NVM command set's 0x80). */
    public static final int LBA_OUT_OF_RANGE = 0x80;

    private static final Map<Integer, String> GENERIC_NAMES = Map.ofEntries(
            Map.entry(0x00, "Successful Completion"), Map.entry(0x01, "Invalid Command Opcode"),
            Map.entry(0x02, "Invalid Field in Command"), Map.entry(0x03, "Command ID Conflict"),
            Map.entry(0x04, "Data Transfer Error"), Map.entry(0x05, "Commands Aborted due to Power Loss Notification"),
            Map.entry(0x06, "Internal Error"), Map.entry(0x07, "Command Abort Requested"),
            Map.entry(0x08, "Command Aborted due to SQ Deletion"), Map.entry(0x09, "Command Aborted due to Failed Fused Command"),
            Map.entry(0x0a, "Command Aborted due to Missing Fused Command"), Map.entry(0x0b, "Invalid Namespace or Format"),
            Map.entry(0x0c, "Command Sequence Error"), Map.entry(0x0d, "Invalid SGL Segment Descriptor"),
            Map.entry(0x0e, "Invalid Number of SGL Descriptors"), Map.entry(0x0f, "Data SGL Length Invalid"),
            Map.entry(0x10, "Metadata SGL Length Invalid"), Map.entry(0x11, "SGL Descriptor Type Invalid"),
            Map.entry(0x12, "Invalid Use of Controller Memory Buffer"), Map.entry(0x13, "PRP Offset Invalid"),
            Map.entry(0x14, "Atomic Write Unit Exceeded"), Map.entry(0x15, "Operation Denied"),
            Map.entry(0x16, "SGL Offset Invalid"), Map.entry(0x18, "Host Identifier Inconsistent Format"),
            Map.entry(0x19, "Keep Alive Timer Expired"), Map.entry(0x1a, "Keep Alive Timeout Invalid"),
            Map.entry(0x1b, "Command Aborted due to Preempt and Abort"), Map.entry(0x1c, "Sanitize Failed"),
            Map.entry(0x1d, "Sanitize In Progress"), Map.entry(0x1e, "SGL Data Block Granularity Invalid"),
            Map.entry(0x1f, "Command Not Supported for Queue in CMB"), Map.entry(0x20, "Namespace is Write Protected"),
            Map.entry(0x21, "Command Interrupted"), Map.entry(0x22, "Transient Transport Error"),
            Map.entry(0x80, "LBA Out of Range"), Map.entry(0x81, "Capacity Exceeded"),
            Map.entry(0x82, "Namespace Not Ready"), Map.entry(0x83, "Reservation Conflict"),
            Map.entry(0x84, "Format In Progress"));
    private static final Map<Integer, String> COMMAND_SPECIFIC_NAMES = Map.ofEntries(
            Map.entry(0x00, "Completion Queue Invalid"), Map.entry(0x01, "Invalid Queue Identifier"),
            Map.entry(0x02, "Invalid Queue Size"), Map.entry(0x03, "Abort Command Limit Exceeded"),
            Map.entry(0x05, "Asynchronous Event Request Limit Exceeded"), Map.entry(0x06, "Invalid Firmware Slot"),
            Map.entry(0x07, "Invalid Firmware Image"), Map.entry(0x08, "Invalid Interrupt Vector"),
            Map.entry(0x09, "Invalid Log Page"), Map.entry(0x0a, "Invalid Format"),
            Map.entry(0x0b, "Firmware Activation Requires Conventional Reset"), Map.entry(0x0c, "Invalid Queue Deletion"),
            Map.entry(0x0d, "Feature Identifier Not Saveable"), Map.entry(0x0e, "Feature Not Changeable"),
            Map.entry(0x0f, "Feature Not Namespace Specific"),
            Map.entry(0x10, "Firmware Activation Requires NVM Subsystem Reset"),
            Map.entry(0x11, "Firmware Activation Requires Controller Level Reset"),
            Map.entry(0x12, "Firmware Activation Requires Maximum Time Violation"),
            Map.entry(0x13, "Firmware Activation Prohibited"), Map.entry(0x14, "Overlapping Range"),
            Map.entry(0x15, "Namespace Insufficient Capacity"), Map.entry(0x16, "Namespace Identifier Unavailable"),
            Map.entry(0x18, "Namespace Already Attached"), Map.entry(0x19, "Namespace Is Private"),
            Map.entry(0x1a, "Namespace Not Attached"), Map.entry(0x1b, "Thin Provisioning Not Supported"),
            Map.entry(0x1c, "Controller List Invalid"), Map.entry(0x80, "Conflicting Attributes"),
            Map.entry(0x81, "Invalid Protection Information"), Map.entry(0x82, "Attempted Write to Read Only Range"));
    private static final Map<Integer, String> MEDIA_NAMES = Map.of(
            0x80, "Write Fault", 0x81, "Unrecovered Read Error", 0x82, "End-to-end Guard Check Error",
            0x83, "End-to-end Application Tag Check Error", 0x84, "End-to-end Reference Tag Check Error",
            0x85, "Compare Failure", 0x86, "Access Denied", 0x87, "Deallocated or Unwritten Logical Block");

    /** The status of completion dword 3. */
    static NvmeStatus ofDword3(int dw3) {
        return new NvmeStatus(dw3 >>> 17);
    }

    public boolean success() {
        return (raw & 0x7ff) == 0;
    }

    /** SC: the status code. */
    public int code() {
        return raw & 0xff;
    }

    /** SCT: the status code type (0 generic, 1 command specific, 2 media and data integrity, 3 path, 7 vendor). */
    public int type() {
        return (raw >>> 8) & 0x7;
    }

    /** DNR: retrying the same command is expected to fail again. */
    public boolean doNotRetry() {
        return (raw & (1 << 14)) != 0;
    }

    /** The specification's name of the status, or a description of an unknown code. */
    public String name() {
        Map<Integer, String> names = switch (type()) {
            case GENERIC -> GENERIC_NAMES;
            case COMMAND_SPECIFIC -> COMMAND_SPECIFIC_NAMES;
            case MEDIA -> MEDIA_NAMES;
            default -> Map.of();
        };
        String n = names.get(code());
        if (n != null) {
            return n;
        }
        return switch (type()) {
            case 3 -> "Path Related Status";
            case 7 -> "Vendor Specific";
            default -> "Unknown Status";
        };
    }

    @Override
    public String toString() {
        return String.format("%s (SCT 0x%x SC 0x%02x%s)", name(), type(), code(), doNotRetry() ? ", DNR" : "");
    }
}
