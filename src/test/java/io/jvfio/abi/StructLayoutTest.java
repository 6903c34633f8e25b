package io.jvfio.abi;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spot checks of the hand-written layouts against spapr-semantics §1.3, without a C compiler, and a
 * check that every layout is what C's layout rules produce from its members: no padding the Java side
 * invented and no padding C has that Java lacks. The full comparison with gcc is {@link AbiGoldenTest}.
 */
class StructLayoutTest {

    static Structs.Struct struct(String name) {
        return Structs.ALL.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no struct " + name + " in Structs.ALL"));
    }

    static Field field(String struct, String field) {
        return struct(struct).fields().stream().filter(f -> f.name().equals(field)).findFirst()
                .orElseThrow(() -> new AssertionError("no field " + field + " in " + struct));
    }

    // ---- sizes (spapr-semantics §1.3, plus the irq structs and vfio_eeh_pe_err)

    static Stream<Arguments> sizes() {
        return Stream.of(
                Arguments.of("vfio_group_status", 8, vfio_group_status.SIZE),
                Arguments.of("vfio_device_info", 20, vfio_device_info.SIZE),
                Arguments.of("vfio_region_info", 32, vfio_region_info.SIZE),
                Arguments.of("vfio_iommu_spapr_tce_ddw_info", 16, vfio_iommu_spapr_tce_ddw_info.SIZE),
                Arguments.of("vfio_iommu_spapr_tce_info", 32, vfio_iommu_spapr_tce_info.SIZE),
                Arguments.of("vfio_iommu_type1_dma_map", 32, vfio_iommu_type1_dma_map.SIZE),
                Arguments.of("vfio_iommu_type1_dma_unmap", 24, vfio_iommu_type1_dma_unmap.SIZE),
                Arguments.of("vfio_iommu_spapr_register_memory", 24, vfio_iommu_spapr_register_memory.SIZE),
                Arguments.of("vfio_iommu_spapr_tce_create", 40, vfio_iommu_spapr_tce_create.SIZE),
                Arguments.of("vfio_iommu_spapr_tce_remove", 16, vfio_iommu_spapr_tce_remove.SIZE),
                Arguments.of("vfio_eeh_pe_op", 40, vfio_eeh_pe_op.SIZE),
                Arguments.of("vfio_irq_info", 16, vfio_irq_info.SIZE),
                Arguments.of("vfio_irq_set", 20, vfio_irq_set.SIZE),
                Arguments.of("vfio_eeh_pe_err", 24, vfio_eeh_pe_err.SIZE),
                Arguments.of("vfio_pci_hot_reset_info", 12, vfio_pci_hot_reset_info.SIZE),
                Arguments.of("vfio_pci_hot_reset", 12, vfio_pci_hot_reset.SIZE),
                Arguments.of("vfio_device_ioeventfd", 32, vfio_device_ioeventfd.SIZE),
                Arguments.of("vfio_device_feature", 8, vfio_device_feature.SIZE),
                Arguments.of("vfio_info_cap_header", 8, vfio_info_cap_header.SIZE),
                Arguments.of("rlimit", 16, rlimit.SIZE),
                Arguments.of("__user_cap_header_struct", 8, __user_cap_header_struct.SIZE),
                Arguments.of("__user_cap_data_struct", 12, __user_cap_data_struct.SIZE),
                Arguments.of("pollfd", 8, pollfd.SIZE));
    }

    @ParameterizedTest(name = "sizeof(struct {0}) == {1}")
    @MethodSource("sizes")
    void sizeMatchesTheDoc(String name, long expected, long sizeConstant) {
        assertEquals(expected, struct(name).size(), "Structs.ALL layout");
        assertEquals(expected, sizeConstant, name + ".SIZE");
    }

    @Test
    void everyStructHasASizeSpotCheck() {
        Set<String> checked = new HashSet<>();
        sizes().forEach(a -> checked.add((String) a.get()[0]));
        Set<String> all = new LinkedHashSet<>();
        Structs.ALL.forEach(s -> all.add(s.name()));
        assertEquals(all, checked);
    }

    // ---- offsets (spapr-semantics §1.3)

    static Stream<Arguments> offsets() {
        return Stream.of(
                Arguments.of("vfio_group_status", "flags", 4, 4),
                Arguments.of("vfio_device_info", "num_irqs", 12, 4),
                Arguments.of("vfio_device_info", "cap_offset", 16, 4),
                Arguments.of("vfio_region_info", "cap_offset", 12, 4),
                Arguments.of("vfio_region_info", "size", 16, 8),
                Arguments.of("vfio_region_info", "offset", 24, 8),
                Arguments.of("vfio_iommu_spapr_tce_ddw_info", "pgsizes", 0, 8),
                Arguments.of("vfio_iommu_spapr_tce_ddw_info", "max_dynamic_windows_supported", 8, 4),
                Arguments.of("vfio_iommu_spapr_tce_ddw_info", "levels", 12, 4),
                Arguments.of("vfio_iommu_spapr_tce_info", "dma32_window_start", 8, 4),
                Arguments.of("vfio_iommu_spapr_tce_info", "dma32_window_size", 12, 4),
                Arguments.of("vfio_iommu_spapr_tce_info", "ddw.pgsizes", 16, 8),
                Arguments.of("vfio_iommu_spapr_tce_info", "ddw.max_dynamic_windows_supported", 24, 4),
                Arguments.of("vfio_iommu_spapr_tce_info", "ddw.levels", 28, 4),
                Arguments.of("vfio_iommu_type1_dma_map", "vaddr", 8, 8),
                Arguments.of("vfio_iommu_type1_dma_map", "iova", 16, 8),
                Arguments.of("vfio_iommu_type1_dma_map", "size", 24, 8),
                Arguments.of("vfio_iommu_type1_dma_unmap", "iova", 8, 8),
                Arguments.of("vfio_iommu_type1_dma_unmap", "size", 16, 8),
                Arguments.of("vfio_iommu_spapr_register_memory", "vaddr", 8, 8),
                Arguments.of("vfio_iommu_spapr_register_memory", "size", 16, 8),
                Arguments.of("vfio_iommu_spapr_tce_create", "page_shift", 8, 4),
                Arguments.of("vfio_iommu_spapr_tce_create", "__resv1", 12, 4),
                Arguments.of("vfio_iommu_spapr_tce_create", "window_size", 16, 8),
                Arguments.of("vfio_iommu_spapr_tce_create", "levels", 24, 4),
                Arguments.of("vfio_iommu_spapr_tce_create", "__resv2", 28, 4),
                Arguments.of("vfio_iommu_spapr_tce_create", "start_addr", 32, 8),
                Arguments.of("vfio_iommu_spapr_tce_remove", "start_addr", 8, 8),
                Arguments.of("vfio_eeh_pe_op", "op", 8, 4),
                Arguments.of("vfio_eeh_pe_op", "err.type", 16, 4),
                Arguments.of("vfio_eeh_pe_op", "err.func", 20, 4),
                Arguments.of("vfio_eeh_pe_op", "err.addr", 24, 8),
                Arguments.of("vfio_eeh_pe_op", "err.mask", 32, 8),
                Arguments.of("pollfd", "fd", 0, 4),
                Arguments.of("pollfd", "events", 4, 2),
                Arguments.of("pollfd", "revents", 6, 2));
    }

    @ParameterizedTest(name = "{0}.{1} @{2} size {3}")
    @MethodSource("offsets")
    void offsetMatchesTheDoc(String struct, String field, long offset, int size) {
        Field f = field(struct, field);
        assertEquals(offset, f.offset(), "offset");
        assertEquals(size, f.size(), "size");
    }

    @Test
    void everyStructStartsWithArgszAndFlagsExceptTheNestedOnes() {
        Set<String> nested = Set.of("vfio_iommu_spapr_tce_ddw_info", "vfio_eeh_pe_err", "vfio_info_cap_header");
        for (Structs.Struct s : Structs.ALL) {
            if (nested.contains(s.name()) || !s.name().startsWith("vfio_")) { // libc's structs have no argsz
                continue;
            }
            assertEquals("argsz", s.fields().get(0).name(), s.name());
            assertEquals(0, s.fields().get(0).offset(), s.name());
            assertEquals("flags", s.fields().get(1).name(), s.name());
            assertEquals(4, s.fields().get(1).offset(), s.name());
        }
    }

    // ---- the layout is exactly C's

    static Stream<Arguments> structs() {
        return Structs.ALL.stream().map(s -> Arguments.of(Named.of(s.name(), s)));
    }

    /**
     * Lays the non-padding members out by C's rules (each at the next multiple of its alignment, the
     * whole rounded up to the largest alignment) and demands the Java layout agree: every member at the
     * same offset, explicit padding only where C would pad, the same size and alignment.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void noPaddingThatCWouldNotHave(Structs.Struct s) {
        assertCLayout(s.layout(), s.name());
    }

    private static void assertCLayout(GroupLayout group, String path) {
        assertInstanceOf(StructLayout.class, group, path + ": VFIO structs are C structs (a one-member union is laid out as its member)");
        long cOffset = 0;
        long javaOffset = 0;
        long maxAlign = 1;
        for (MemoryLayout m : group.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                javaOffset += m.byteSize();
                continue;
            }
            String name = path + "." + m.name().orElse("?");
            assertTrue(m.name().isPresent(), name + ": every member is named");
            long align = naturalAlignment(m, name);
            cOffset = alignUp(cOffset, align);
            assertEquals(cOffset, javaOffset,
                    name + ": Java offset " + javaOffset + " but C puts the member at " + cOffset
                            + (javaOffset > cOffset ? " (padding C does not have)" : " (C pads here, Java does not)"));
            if (m instanceof GroupLayout g) {
                assertCLayout(g, name);
            }
            cOffset += m.byteSize();
            javaOffset += m.byteSize();
            maxAlign = Math.max(maxAlign, align);
        }
        long cSize = alignUp(cOffset, maxAlign);
        assertEquals(cSize, group.byteSize(), path + ": size (C rounds " + cOffset + " up to alignment " + maxAlign + ")");
        assertEquals(maxAlign, group.byteAlignment(), path + ": alignment");
    }

    /** The C alignment of a member: __u16 2, __u32 4, __u64 8 (on x86-64 and ppc64le alike), a struct its largest. */
    private static long naturalAlignment(MemoryLayout m, String name) {
        if (m instanceof ValueLayout v) {
            assertTrue(v.carrier() == short.class || v.carrier() == int.class || v.carrier() == long.class,
                    name + ": only __u16, __u32 and __u64 fields");
            assertEquals(v.byteSize(), v.byteAlignment(), name + ": natural alignment (not an _UNALIGNED layout)");
            return v.byteSize();
        }
        if (m instanceof GroupLayout g) {
            return g.byteAlignment();
        }
        fail(name + ": unexpected member kind " + m);
        return 0;
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    // ---- Fields cover the layout

    /** Every named leaf of the layout, as a member designator (ddw.pgsizes), mapped to its size. */
    private static void leaves(GroupLayout g, String prefix, Map<String, Long> out) {
        for (MemoryLayout m : g.memberLayouts()) {
            if (m instanceof PaddingLayout) {
                continue;
            }
            String name = prefix + m.name().orElseThrow();
            if (m instanceof GroupLayout inner) {
                leaves(inner, name + ".", out);
            } else {
                out.put(name, m.byteSize());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void fieldsAreExactlyTheLayoutsLeaves(Structs.Struct s) {
        Map<String, Long> leaves = new java.util.LinkedHashMap<>();
        leaves(s.layout(), "", leaves);
        List<String> fieldNames = new ArrayList<>();
        for (Field f : s.fields()) {
            fieldNames.add(f.name());
            assertEquals(leaves.get(f.name()), (long) f.size(), s.name() + "." + f.name() + ": Field size vs layout member");
        }
        assertEquals(List.copyOf(leaves.keySet()), fieldNames,
                s.name() + ": Structs.ALL must list every layout member once, in order (else the golden test misses it)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structs")
    void fieldsDoNotOverlapAndFitTheStruct(Structs.Struct s) {
        long end = 0;
        for (Field f : s.fields()) {
            assertFalse(f.offset() < end, s.name() + "." + f.name() + " overlaps the previous field");
            assertEquals(0, f.offset() % f.size(), s.name() + "." + f.name() + " is naturally aligned");
            end = f.offset() + f.size();
        }
        assertTrue(end <= s.size(), s.name() + ": fields end at " + end + " > size " + s.size());
    }

    @Test
    void structNamesAreUniqueAndMatchTheLayoutNames() {
        Set<String> seen = new HashSet<>();
        for (Structs.Struct s : Structs.ALL) {
            assertTrue(seen.add(s.name()), "duplicate " + s.name());
            assertEquals(s.name(), s.layout().name().orElse(null), "layout name of " + s.name());
        }
    }

    @Test
    void eehPeOpEmbedsEehPeErrAt16() {
        assertAll(
                () -> assertEquals(16, vfio_eeh_pe_op.err_type.offset()),
                () -> assertEquals(vfio_eeh_pe_op.SIZE, 16 + vfio_eeh_pe_err.SIZE),
                () -> assertEquals(vfio_iommu_spapr_tce_info.SIZE, 16 + vfio_iommu_spapr_tce_ddw_info.SIZE));
    }
}
