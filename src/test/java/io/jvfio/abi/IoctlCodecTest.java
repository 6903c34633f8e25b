package io.jvfio.abi;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.jvfio.abi.VfioIoctl.Fd.CONTAINER;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ioctl request codec for both bit layouts. Expected numbers come from the spapr-semantics table
 * and from gcc's {@code _IO/_IOR/_IOW/_IOWR} on x86-64 and ppc64le (asm-generic vs. powerpc ioctl.h).
 */
class IoctlCodecTest {
    private static final int VFIO_TYPE = ';';

    // ---- the VFIO table (spapr-semantics §1.1)

    @Test
    void apiVersionAndTceCreateFromTheTable() {
        assertAll(
                () -> assertEquals(0x3B64, VfioIoctl.VFIO_GET_API_VERSION.request(Arch.X86_64)),
                () -> assertEquals(0x20003B64, VfioIoctl.VFIO_GET_API_VERSION.request(Arch.PPC64LE)),
                () -> assertEquals(0x3B77, VfioIoctl.VFIO_IOMMU_SPAPR_TCE_CREATE.request(Arch.X86_64)),
                () -> assertEquals(0x20003B77, VfioIoctl.VFIO_IOMMU_SPAPR_TCE_CREATE.request(Arch.PPC64LE)),
                () -> assertEquals(0x3B64, VfioIoctl.VFIO_GET_API_VERSION.request(Arch.AARCH64)));
    }

    @Test
    void setIommuDecimalAsRustVmmPinsIt() {
        assertEquals(15206, VfioIoctl.VFIO_SET_IOMMU.request(Arch.X86_64));
        assertEquals(536886118, VfioIoctl.VFIO_SET_IOMMU.request(Arch.PPC64LE));
    }

    @ParameterizedTest
    @EnumSource(VfioIoctl.class)
    void everyVfioIoctlFollowsTheTable(VfioIoctl ioctl) {
        int generic = 0x3B00 + ioctl.nr();
        assertEquals(generic, ioctl.request(Arch.X86_64), ioctl + " x86_64");
        assertEquals(generic, ioctl.request(Arch.AARCH64), ioctl + " aarch64");
        assertEquals(0x20000000 | generic, ioctl.request(Arch.PPC64LE), ioctl + " ppc64le");
    }

    /** Each fd kind gives every number one name, declared in BASE+n order within the kind. */
    @Test
    void numbersAreUniqueAndOrderedPerFdKind() {
        for (VfioIoctl.Fd fd : VfioIoctl.Fd.values()) {
            int last = -1;
            for (VfioIoctl ioctl : VfioIoctl.values()) {
                if (ioctl.fd() == fd) {
                    assertTrue(ioctl.nr() > last, ioctl + " after nr " + last + " on a " + fd + " fd");
                    last = ioctl.nr();
                }
            }
        }
    }

    /** The numbers the kernel reuses decode by fd kind: a device's HOT_RESET is not MAP_DMA. */
    @Test
    void sharedNumbersDecodeByFdKind() {
        int r = VfioIoctl.VFIO_IOMMU_MAP_DMA.request(Arch.PPC64LE);
        assertAll(
                () -> assertEquals(VfioIoctl.VFIO_IOMMU_MAP_DMA, VfioIoctl.of(Arch.PPC64LE, VfioIoctl.Fd.CONTAINER, r)),
                () -> assertEquals(VfioIoctl.VFIO_DEVICE_PCI_HOT_RESET, VfioIoctl.of(Arch.PPC64LE, VfioIoctl.Fd.DEVICE, r)),
                () -> assertNull(VfioIoctl.of(Arch.PPC64LE, VfioIoctl.Fd.GROUP, r)));
    }

    @ParameterizedTest
    @EnumSource(VfioIoctl.class)
    void vfioIoctlsDecodeAsIoWithoutSizeOrDirection(VfioIoctl ioctl) {
        for (Arch arch : Arch.values()) {
            int r = ioctl.request(arch);
            assertAll(arch.id() + " " + ioctl,
                    () -> assertEquals(VFIO_TYPE, IoctlCodec.type(r)),
                    () -> assertEquals(ioctl.nr(), IoctlCodec.nr(r)),
                    () -> assertEquals(0, IoctlCodec.size(arch, r)),
                    () -> assertEquals(arch.ioc().none, IoctlCodec.dir(arch, r)),
                    () -> assertEquals(ioctl, VfioIoctl.of(arch, ioctl.fd(), r)));
        }
    }

    @Test
    void ofRejectsTheOtherArchitecturesNumbersAndStrangers() {
        assertAll(
                () -> assertNull(VfioIoctl.of(Arch.X86_64, CONTAINER, 0x20003B64)),
                () -> assertNull(VfioIoctl.of(Arch.PPC64LE, CONTAINER, 0x3B64)),
                () -> assertNull(VfioIoctl.of(Arch.X86_64, CONTAINER, 0x3B63)), // BASE - 1
                () -> assertNull(VfioIoctl.of(Arch.X86_64, CONTAINER, 0x3B64 + 22)), // past VFIO_EEH_PE_OP
                () -> assertNull(VfioIoctl.of(Arch.X86_64, CONTAINER, 0x541B)), // FIONREAD
                () -> assertNull(VfioIoctl.of(Arch.PPC64LE, CONTAINER, 0x4004667F)), // FIONREAD
                () -> assertNull(VfioIoctl.of(Arch.X86_64, CONTAINER, IoctlCodec.ior(Arch.X86_64, VFIO_TYPE, 100, 4))));
    }

    // ---- direction encodings

    @Test
    void directionValuesPerLayout() {
        assertAll(
                () -> assertEquals(30, IocLayout.GENERIC.dirShift()),
                () -> assertEquals(29, IocLayout.POWERPC.dirShift()),
                () -> assertEquals(0, IoctlCodec.dir(Arch.X86_64, IoctlCodec.io(Arch.X86_64, 'x', 1))),
                () -> assertEquals(2, IoctlCodec.dir(Arch.X86_64, IoctlCodec.ior(Arch.X86_64, 'x', 1, 4))),
                () -> assertEquals(1, IoctlCodec.dir(Arch.X86_64, IoctlCodec.iow(Arch.X86_64, 'x', 1, 4))),
                () -> assertEquals(3, IoctlCodec.dir(Arch.X86_64, IoctlCodec.iowr(Arch.X86_64, 'x', 1, 4))),
                () -> assertEquals(1, IoctlCodec.dir(Arch.PPC64LE, IoctlCodec.io(Arch.PPC64LE, 'x', 1))),
                () -> assertEquals(2, IoctlCodec.dir(Arch.PPC64LE, IoctlCodec.ior(Arch.PPC64LE, 'x', 1, 4))),
                () -> assertEquals(4, IoctlCodec.dir(Arch.PPC64LE, IoctlCodec.iow(Arch.PPC64LE, 'x', 1, 4))),
                () -> assertEquals(6, IoctlCodec.dir(Arch.PPC64LE, IoctlCodec.iowr(Arch.PPC64LE, 'x', 1, 4))));
    }

    /** Values printed by gcc for each architecture (asm-generic/ioctl.h vs. asm/ioctl.h on powerpc). */
    static Stream<Arguments> gccValues() {
        return Stream.of(
                // arch, macro, type, nr, size, expected
                Arguments.of(Arch.X86_64, "_IOR", 'f', 127, 4, 0x8004667F),
                Arguments.of(Arch.PPC64LE, "_IOR", 'f', 127, 4, 0x4004667F),
                Arguments.of(Arch.X86_64, "_IOW", 'f', 126, 4, 0x4004667E),
                Arguments.of(Arch.PPC64LE, "_IOW", 'f', 126, 4, 0x8004667E),
                Arguments.of(Arch.X86_64, "_IOWR", ';', 200, 40, 0xC0283BC8),
                Arguments.of(Arch.PPC64LE, "_IOWR", ';', 200, 40, 0xC0283BC8),
                Arguments.of(Arch.X86_64, "_IO", 'T', 0x1B, 0, 0x541B),
                Arguments.of(Arch.PPC64LE, "_IO", 'T', 0x1B, 0, 0x2000541B),
                Arguments.of(Arch.X86_64, "_IOR", 'U', 255, 8191, 0x9FFF55FF),
                Arguments.of(Arch.PPC64LE, "_IOR", 'U', 255, 8191, 0x5FFF55FF));
    }

    @ParameterizedTest(name = "{1}({2}, {3}, {4}) on {0}")
    @MethodSource("gccValues")
    void matchesGcc(Arch arch, String macro, char type, int nr, int size, int expected) {
        int r = switch (macro) {
            case "_IO" -> IoctlCodec.io(arch, type, nr);
            case "_IOR" -> IoctlCodec.ior(arch, type, nr, size);
            case "_IOW" -> IoctlCodec.iow(arch, type, nr, size);
            case "_IOWR" -> IoctlCodec.iowr(arch, type, nr, size);
            default -> throw new IllegalArgumentException(macro);
        };
        assertEquals(IoctlCodec.hex(expected), IoctlCodec.hex(r));
    }

    // ---- round trips

    static Stream<Arguments> roundTrips() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Arch arch : Arch.values()) {
            int maxSize = (1 << arch.ioc().sizeBits) - 1;
            for (int type : new int[] {0, 'f', VFIO_TYPE, 0xff}) {
                for (int nr : new int[] {0, 1, 100, 127, 0xff}) {
                    for (int size : new int[] {0, 1, 4, 40, maxSize}) {
                        b.add(Arguments.of(arch, type, nr, size));
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} type={1} nr={2} size={3}")
    @MethodSource("roundTrips")
    void iorIowIowrRoundTrip(Arch arch, int type, int nr, int size) {
        IocLayout l = arch.ioc();
        int[][] cases = {
            {IoctlCodec.ior(arch, type, nr, size), l.read},
            {IoctlCodec.iow(arch, type, nr, size), l.write},
            {IoctlCodec.iowr(arch, type, nr, size), l.read | l.write},
        };
        for (int[] c : cases) {
            int r = c[0];
            assertAll(IoctlCodec.hex(r),
                    () -> assertEquals(type, IoctlCodec.type(r), "type"),
                    () -> assertEquals(nr, IoctlCodec.nr(r), "nr"),
                    () -> assertEquals(size, IoctlCodec.size(arch, r), "size"),
                    () -> assertEquals(c[1], IoctlCodec.dir(arch, r), "dir"),
                    () -> assertEquals(r, IoctlCodec.ioc(arch, IoctlCodec.dir(arch, r), IoctlCodec.type(r),
                            IoctlCodec.nr(r), IoctlCodec.size(arch, r)), "ioc(decode(r))"));
        }
        int io = IoctlCodec.io(arch, type, nr);
        assertEquals(l.none, IoctlCodec.dir(arch, io));
        assertEquals(0, IoctlCodec.size(arch, io));
    }

    // ---- FIONREAD (the benchmarks' ioctl)

    @Test
    void fionreadOnX86IsTheLegacyLiteral() {
        assertEquals(0x541B, AbiGoldenTest.expectedFionread(Arch.X86_64));
        // 0x541B is a pre-_IOC number; it happens to decode as _IO('T', 0x1B).
        assertEquals(0x541B, IoctlCodec.io(Arch.X86_64, 'T', 0x1B));
    }

    @Test
    void fionreadOnPpc64leIsIorF127Int() {
        int r = IoctlCodec.ior(Arch.PPC64LE, 'f', 127, Integer.BYTES);
        assertEquals(0x4004667F, r);
        assertEquals(r, AbiGoldenTest.expectedFionread(Arch.PPC64LE));
        assertAll(
                () -> assertEquals('f', IoctlCodec.type(r)),
                () -> assertEquals(127, IoctlCodec.nr(r)),
                () -> assertEquals(4, IoctlCodec.size(Arch.PPC64LE, r)),
                () -> assertEquals(IocLayout.POWERPC.read, IoctlCodec.dir(Arch.PPC64LE, r)));
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "PPC64LE"})
    void fionreadMatchesTheCDump(Arch arch) {
        AbiGoldenTest.Dump dump = AbiGoldenTest.loadOrSkip(arch);
        Long c = dump.consts.get("FIONREAD");
        assertEquals(arch == Arch.X86_64 ? 0x541BL : 0x4004667FL, c, "FIONREAD in the " + arch.id() + " C dump");
    }

    // ---- out-of-range input

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "PPC64LE"})
    void rejectsOutOfRangeFields(Arch arch) {
        int sizeLimit = 1 << arch.ioc().sizeBits; // 16384 generic, 8192 powerpc
        assertAll(
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ior(arch, 0x100, 0, 4), "type 256"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ior(arch, -1, 0, 4), "type -1"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ior(arch, 'f', 0x100, 4), "nr 256"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.io(arch, 'f', -1), "nr -1"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ior(arch, 'f', 1, sizeLimit), "size 2^bits"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.iow(arch, 'f', 1, -1), "size -1"),
                () -> assertThrows(IllegalArgumentException.class,
                        () -> IoctlCodec.ioc(arch, arch.ioc().dirMask + 1, 'f', 1, 0), "direction beyond the mask"),
                () -> assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ioc(arch, -1, 'f', 1, 0), "direction -1"),
                () -> assertEquals(sizeLimit - 1, IoctlCodec.size(arch, IoctlCodec.iowr(arch, 'f', 1, sizeLimit - 1))));
    }

    @Test
    void powerpcSizeLimitIsSmallerThanGeneric() {
        // 8192 fits 14 size bits but not 13.
        assertEquals(8192, IoctlCodec.size(Arch.X86_64, IoctlCodec.ior(Arch.X86_64, 'f', 1, 8192)));
        assertThrows(IllegalArgumentException.class, () -> IoctlCodec.ior(Arch.PPC64LE, 'f', 1, 8192));
    }

    @Test
    void hexIsLowerCaseUnsigned() {
        assertEquals("0x3b64", IoctlCodec.hex(0x3B64));
        assertEquals("0x20003b77", IoctlCodec.hex(0x20003B77));
        assertEquals("0xc0283bc8", IoctlCodec.hex(0xC0283BC8));
    }
}
