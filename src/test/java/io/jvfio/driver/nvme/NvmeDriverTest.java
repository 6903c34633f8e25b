package io.jvfio.driver.nvme;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvfio.Vfio;
import io.jvfio.contract.Backends;
import io.jvfio.abi.Arch;
import io.jvfio.backend.KernelFix;
import io.jvfio.contract.Backends.Variant;
import io.jvfio.contract.UnprivilegedStage;
import io.jvfio.driver.nvme.NvmeOptions.Completion;
import io.jvfio.driver.nvme.NvmeQueue.Command;
import io.jvfio.toolkit.DmaMemory;
import io.jvfio.toolkit.DmaSession;
import io.jvfio.toolkit.PlannerOptions;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The NVMe driver over the backend variant table: one body per test, run on the emulated rows (once
 * the emulated controller is wired; until then they skip, naming that) and on the kernel row in the
 * QEMU guest of {@code GuestNvmeTest}, where QEMU's {@code nvme} sits on its own PHB.
 *
 * <p>Tests that write need {@code -Djvfio.nvme.scratch=true} (the harness's image is scratch); the
 * test reading the host's pattern needs {@code -Djvfio.nvme.hostPattern=true} (the harness wrote
 * it). The host checks the written regions ({@link NvmePattern}) in the image after the guest exits.
 */
class NvmeDriverTest {
    /** Where the queues and buffers live. */
    enum Window {
        /** The created 64-bit window, at the address the hypervisor returned (the default window kept beside it). */
        DDW,
        /** The 32-bit default window ({@code DmaSession.map32}). */
        DEFAULT
    }

    static List<Variant> variants() {
        String p = System.getProperty("jvfio.backends", "").strip();
        return p.isEmpty() ? List.of(Variant.values())
                : Arrays.stream(p.split(",")).filter(s -> !s.isBlank()).map(Variant::parse).toList();
    }

    static Stream<Arguments> modes() {
        List<Arguments> out = new ArrayList<>();
        for (Variant v : variants()) {
            for (Completion c : Completion.values()) {
                for (Window w : Window.values()) {
                    out.add(Arguments.of(v, c, w));
                }
            }
        }
        return out.stream();
    }

    static int modeIndex(Completion c, Window w) {
        return c.ordinal() * Window.values().length + w.ordinal();
    }

    /** A controller, its session and its Vfio, closed together. */
    record Target(Vfio vfio, DmaSession session, NvmeController nvme, boolean polledInstead) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                nvme.close();
            } finally {
                session.close();
                vfio.close();
            }
        }
    }

    static NvmeHost.Location locate(Variant v) {
        if (v.emulated()) {
            return NvmeHost.emulatedLocation();
        }
        Optional<String> why = Backends.kernelUnavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElseThrow());
        List<NvmeHost.Location> found = NvmeHost.kernelControllers();
        Assumptions.assumeFalse(found.isEmpty(), "no NVMe controller bound to vfio-pci here: the QEMU guest of "
                + "GuestNvmeTest has one (make test-guest)");
        return found.getFirst();
    }

    /**
     * The variant's platform: the kernel, or the emulator with the NVMe controller over a scratch image
     * holding {@link NvmePattern#HOST} ({@link NvmeHost#emulatedProfile}, under the {@link UnprivilegedStage} if set).
     */
    static Vfio vfio(Variant v) throws IOException {
        if (!v.emulated()) {
            return Vfio.kernel();
        }
        return Vfio.over(new io.jvfio.emul.EmulatedBackend(UnprivilegedStage.applyCurrent(
                NvmeHost.emulatedProfile(emulatedImage())), v == Variant.EMULATED_X86_64 ? Arch.X86_64 : Arch.PPC64LE));
    }

    private static Path emulatedImage;

    /**
     * The emulated rows' namespace: one scratch image for the whole run, holding the host's pattern
     * as the guest's image does, so the tests' regions and the host checks are the guest's.
     */
    static synchronized Path emulatedImage() throws IOException {
        if (emulatedImage == null) {
            Path image = Files.createTempFile("jvfio-nvme-", ".img");
            image.toFile().deleteOnExit();
            NvmePattern.createImage(image);
            emulatedImage = image;
        }
        return emulatedImage;
    }

    /** On the emulated rows this JVM is the host: the image file must hold what the driver wrote. */
    static void assertImageHolds(Variant v, NvmePattern.Region r) throws IOException {
        if (v.emulated()) {
            assertArrayEquals(r.bytes(), NvmePattern.readImage(emulatedImage(), r), "image file, " + r);
        }
    }

    /**
     * The controller of the variant. On a kernel whose pSeries MSI-X works on a device's first enable
     * per boot only ({@link KernelFix#PSERIES_MSI_PARENT_DOMAIN}), the driver refuses MSI-X after that
     * ({@link #msixAfterReopen} asserts it); the test then goes on polled, so its data checks still run.
     */
    static Target open(Variant v, NvmeOptions options) throws IOException {
        try {
            return openAs(v, options, false);
        } catch (NvmeException e) {
            if (options.completion() != Completion.MSIX || !msixRefused(e)) {
                throw e;
            }
            String release = release(v);
            assertTrue(msixReuseBroken(release), () -> "MSI-X refused on " + release + ": " + e.getMessage());
            System.out.println("[nvme] " + release + ": MSI-X refused after the first enable of this boot "
                    + "(KernelFix.PSERIES_MSI_PARENT_DOMAIN); the test goes on polled");
            return openAs(v, options.withCompletion(Completion.POLLED), true);
        }
    }

    private static Target openAs(Variant v, NvmeOptions options, boolean polledInstead) throws IOException {
        NvmeHost.Location at = locate(v);
        Vfio vfio = vfio(v);
        DmaSession s = null;
        try {
            s = DmaSession.open(vfio, at.group(), NvmeController.sessionOptions(options)
                    .withPlanner(PlannerOptions.defaults().withKeepDefaultWindow(true)));
            return new Target(vfio, s, NvmeController.open(s, at.address(), options), polledInstead);
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close();
            }
            vfio.close();
            throw e;
        }
    }

    static String release(Variant v) throws IOException {
        try (Vfio vfio = vfio(v)) {
            return vfio.backend().kernelRelease();
        }
    }

    static boolean msixReuseBroken(String release) {
        return KernelFix.PSERIES_MSI_PARENT_DOMAIN.carriedBy(release);
    }

    static boolean msixRefused(Exception e) {
        return e instanceof NvmeException n && n.kind() == NvmeException.Kind.UNSUPPORTED && n.command().equals("MSI-X setup");
    }

    /**
     * MSI-X on a controller opened a second time (vfio-pci resets the function between): delivered
     * again, or, on a kernel with {@link KernelFix#PSERIES_MSI_PARENT_DOMAIN}, refused by the driver
     * naming that cause (never a controller polled in 20 ms slices unnoticed); polled completion still works.
     */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void msixAfterReopen(Variant v) throws IOException {
        requireHostPattern(v);
        NvmePattern.Region r = NvmePattern.HOST;
        String release = release(v);
        boolean refused = false;
        for (int round = 0; round < 2; round++) {
            try (Target t = openAs(v, options(Completion.MSIX, Window.DDW), false); NvmeQueuePair q = t.nvme().queuePair()) {
                assertArrayEquals(Arrays.copyOf(r.bytes(), NvmePattern.BLOCK), q.read(r.lba(), 1));
                assertTrue(q.pair().queue.interruptsSeen(java.time.Duration.ofSeconds(2)) > 0,
                        "round " + round + ": no MSI-X interrupt reached the eventfd on " + release);
                refused = false;
            } catch (NvmeException e) {
                assertTrue(msixRefused(e) && e.getMessage().contains("daaa574aba6f"), e::getMessage);
                refused = true;
            }
        }
        // the second open follows a reset of the function: refused exactly where the kernel loses the table
        assertEquals(msixReuseBroken(release), refused, "MSI-X on the second open, kernel " + release);
        try (Target t = open(v, options(Completion.POLLED, Window.DDW)); NvmeQueuePair q = t.nvme().queuePair()) {
            assertArrayEquals(Arrays.copyOf(r.bytes(), NvmePattern.BLOCK), q.read(r.lba(), 1), "polled, after MSI-X");
        }
    }

    /** The variant can run, and may write (checked in that order, so an emulated row names why it skips). */
    static void requireScratch(Variant v) {
        locate(v);
        Assumptions.assumeTrue(v.emulated() || Boolean.getBoolean("jvfio.nvme.scratch"), "this test writes to the namespace: "
                + "-Djvfio.nvme.scratch=true only on a scratch device (GuestNvmeTest's image)");
    }

    /** The variant can run, and the harness wrote {@link NvmePattern#HOST} into the namespace. */
    static void requireHostPattern(Variant v) {
        locate(v);
        Assumptions.assumeTrue(v.emulated() || Boolean.getBoolean("jvfio.nvme.hostPattern"),
                "no host-written pattern in this namespace (GuestNvmeTest writes one and sets -Djvfio.nvme.hostPattern)");
    }

    /** Maps a caller's buffer into the window the mode puts everything in. */
    static void map(Target t, DmaMemory buf, Window w) throws IOException {
        if (w == Window.DEFAULT) {
            t.session().map32(buf, io.jvfio.DmaDirection.BIDIRECTIONAL);
        } else {
            t.session().map(buf);
        }
    }

    static NvmeOptions options(Completion c, Window w) {
        return NvmeOptions.defaults().withCompletion(c).withWindow32(w == Window.DEFAULT);
    }

    /** The queues and data are where the mode says: the DDW at the hypervisor's address, or the default window. */
    static void assertWindow(Target t, Window w) {
        DmaSession s = t.session();
        assertFalse(s.window().isDefault(), s.plan()::toText);
        assertNotEquals(0L, s.window().start(), "the created window sits where the hypervisor put it, beside "
                + "the default window at 0\n" + s.plan().toText());
        if (w == Window.DEFAULT) {
            assertTrue(s.window32().orElseThrow().isDefault());
            assertEquals(0L, s.window32().orElseThrow().start());
        }
    }

    @ParameterizedTest(name = "[{0}] {1} {2}")
    @MethodSource("modes")
    void readsWhatTheHostWrote(Variant v, Completion c, Window w) throws IOException {
        requireHostPattern(v);
        try (Target t = open(v, options(c, w)); NvmeQueuePair q = t.nvme().queuePair()) {
            assertWindow(t, w);
            NvmePattern.Region r = NvmePattern.HOST;
            assertEquals(NvmePattern.BLOCK, q.blockSize());
            assertEquals(NvmePattern.IMAGE_BYTES / NvmePattern.BLOCK, t.nvme().namespace().blocks());
            // 300 blocks: two commands, each over more than two pages (PRP list); then one block
            // (PRP1 only) and two pages (PRP2 as the second page).
            assertArrayEquals(r.bytes(), q.read(r.lba(), r.blocks()));
            assertArrayEquals(Arrays.copyOf(r.bytes(), NvmePattern.BLOCK), q.read(r.lba(), 1));
            int twoPages = (int) (2 * t.nvme().memoryPageSize() / NvmePattern.BLOCK);
            assertArrayEquals(Arrays.copyOf(r.bytes(), twoPages * NvmePattern.BLOCK), q.read(r.lba(), twoPages));
            boolean msix = c == Completion.MSIX && !t.polledInstead();
            assertEquals(msix, q.interrupts());
            if (msix) {
                assertTrue(q.pair().queue.interruptsSeen(java.time.Duration.ofSeconds(2)) > 0,
                        "no MSI-X interrupt reached the eventfd");
            }
        }
    }

    /** Many commands in flight on one queue, completed out of submission order as the controller likes. */
    @ParameterizedTest(name = "[{0}] {1} {2}")
    @MethodSource("modes")
    void queueDepthAboveOne(Variant v, Completion c, Window w) throws IOException {
        requireHostPattern(v);
        NvmePattern.Region r = NvmePattern.HOST;
        try (Target t = open(v, options(c, w)); NvmeQueuePair q = t.nvme().queuePair()) {
            DmaMemory buf = t.session().allocate((long) r.blocks() * NvmePattern.BLOCK);
            map(t, buf, w);
            int piece = 4; // blocks per command: 2 KiB, so commands share pages and PRP2 is used at odd offsets
            List<Integer> ids = new ArrayList<>();
            for (int b = 0; b < r.blocks(); b += piece) {
                int n = Math.min(piece, r.blocks() - b);
                if (ids.size() == q.depth()) {
                    q.await(ids.removeFirst());
                }
                ids.add(q.submitRead(r.lba() + b, n, buf, (long) b * NvmePattern.BLOCK));
            }
            for (int id = ids.size() - 1; id >= 0; id--) {
                q.await(ids.get(id)); // newest first: completion order must not matter
            }
            assertArrayEquals(r.bytes(), buf.segment().asSlice(0, (long) r.blocks() * NvmePattern.BLOCK)
                    .toArray(ValueLayout.JAVA_BYTE));
            assertThrows(IllegalArgumentException.class, () -> q.await(0));
        }
    }

    @ParameterizedTest(name = "[{0}] {1} {2}")
    @MethodSource("modes")
    void writesWhatTheHostChecks(Variant v, Completion c, Window w) throws IOException {
        requireScratch(v);
        NvmePattern.Region r = NvmePattern.written(modeIndex(c, w));
        try (Target t = open(v, options(c, w)); NvmeQueuePair q = t.nvme().queuePair()) {
            assertWindow(t, w);
            q.write(r.lba(), r.bytes());
            q.flush();
            assertArrayEquals(r.bytes(), q.read(r.lba(), r.blocks()));
            // Zero-copy from a buffer of the caller's, at an offset that is not page aligned.
            DmaMemory buf = t.session().allocate(r.blocks() * NvmePattern.BLOCK + 4096L);
            map(t, buf, w);
            q.read(r.lba(), r.blocks(), buf, 512);
            assertArrayEquals(r.bytes(), buf.segment().asSlice(512, r.blocks() * NvmePattern.BLOCK)
                    .toArray(ValueLayout.JAVA_BYTE));
        }
        assertImageHolds(v, r);
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void orderlyShutdownCommitsUnflushedWrites(Variant v) throws IOException {
        requireScratch(v);
        NvmePattern.Region r = NvmePattern.UNFLUSHED;
        try (Target t = open(v, NvmeOptions.defaults())) {
            NvmeQueuePair q = t.nvme().queuePair();
            q.write(r.lba(), r.bytes());
            // no flush, no queue close: the controller's close must flush, delete the queues, CC.SHN
        }
        assertImageHolds(v, r);
        try (Target t = open(v, NvmeOptions.defaults()); NvmeQueuePair q = t.nvme().queuePair()) {
            assertArrayEquals(r.bytes(), q.read(r.lba(), r.blocks()));
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void oneQueuePairPerThread(Variant v) throws Exception {
        requireScratch(v);
        try (Target t = open(v, NvmeOptions.defaults().withMaxQueuePairs(NvmePattern.THREADS)
                .withCompletion(Completion.MSIX))) {
            assertTrue(t.nvme().maxQueuePairs() >= NvmePattern.THREADS, t.nvme()::toString);
            ExecutorService pool = Executors.newFixedThreadPool(NvmePattern.THREADS);
            java.util.concurrent.CyclicBarrier allOpen = new java.util.concurrent.CyclicBarrier(NvmePattern.THREADS);
            try {
                List<Future<Integer>> ids = new ArrayList<>();
                for (int i = 0; i < NvmePattern.THREADS; i++) {
                    NvmePattern.Region r = NvmePattern.perThread(i);
                    ids.add(pool.submit(() -> {
                        try (NvmeQueuePair q = t.nvme().queuePair()) {
                            for (int round = 0; round < 3; round++) {
                                q.write(r.lba(), r.bytes());
                                assertArrayEquals(r.bytes(), q.read(r.lba(), r.blocks()));
                            }
                            q.flush();
                            allOpen.await(60, java.util.concurrent.TimeUnit.SECONDS); // all pairs at once: no id reused
                            return q.id();
                        }
                    }));
                }
                List<Integer> got = new ArrayList<>();
                for (Future<Integer> f : ids) {
                    got.add(f.get());
                }
                assertEquals(NvmePattern.THREADS, got.stream().distinct().count(), "distinct queue ids " + got);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void errorStatusesNameTheCommandQueueAndStatus(Variant v) throws IOException {
        try (Target t = open(v, NvmeOptions.defaults()); NvmeQueuePair q = t.nvme().queuePair()) {
            NvmeController.Pair p = q.pair();
            long blocks = t.nvme().namespace().blocks();
            // Past the driver's own range check, straight to the controller.
            NvmeException e = assertThrows(NvmeException.class, () -> p.queue.execute(new Command(
                    "READ lba " + blocks, NvmeQueuePair.IO_READ, 1, p.dataIova, 0, (int) blocks, 0, 0)));
            assertEquals(NvmeException.Kind.STATUS, e.kind());
            assertEquals(NvmeStatus.LBA_OUT_OF_RANGE, e.status().orElseThrow().code(), e.getMessage());
            assertEquals(q.id(), e.queue());
            assertTrue(e.getMessage().contains("READ lba " + blocks) && e.getMessage().contains("LBA Out of Range")
                    && e.getMessage().contains("queue " + q.id()), e.getMessage());
            NvmeException op = assertThrows(NvmeException.class,
                    () -> p.queue.execute(new Command("opcode 0x7f", 0x7f, 1, 0, 0, 0, 0, 0)));
            assertEquals("Invalid Command Opcode", op.status().orElseThrow().name(), op.getMessage());
            // The queue still works after errors.
            assertEquals(NvmePattern.BLOCK, q.read(0, 1).length);
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void badInputIsRefusedBeforeAnyCommand(Variant v) throws IOException {
        try (Target t = open(v, NvmeOptions.defaults()); NvmeQueuePair q = t.nvme().queuePair()) {
            long blocks = t.nvme().namespace().blocks();
            IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                    () -> q.write(blocks - 1, new byte[2 * NvmePattern.BLOCK]));
            assertTrue(beyond.getMessage().contains("beyond the namespace"), beyond.getMessage());
            assertThrows(IllegalArgumentException.class, () -> q.read(0, 0));
            IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
                    () -> q.write(0, new byte[100]));
            assertTrue(partial.getMessage().contains("not a multiple of the 512-byte block size"), partial.getMessage());
            assertThrows(IllegalArgumentException.class, () -> q.read(-1, 1));
        }
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void identifyAndClosedControllerReleasesEverything(Variant v) throws IOException {
        long fdsBefore = openFds();
        try (Target t = open(v, NvmeOptions.defaults().withCompletion(Completion.MSIX))) {
            IdentifyController id = t.nvme().identify();
            assertFalse(id.model().isEmpty());
            assertTrue(id.namespaces() >= 1);
            assertTrue(t.nvme().memoryPageSize() >= 4096, t.nvme().memoryPageSizeReason());
            assertEquals(t.session().window().pageSize(), t.nvme().memoryPageSize(), t.nvme().memoryPageSizeReason());
            t.nvme().queuePair(); // left open on purpose: close must delete it
            assertTrue(openFds() > fdsBefore);
        }
        assertEquals(fdsBefore, openFds(), "file descriptors left open after close");
    }

    /** Closing the session under the controller (devices, mappings, container gone) leaves close nothing to fail on. */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void sessionClosedFirst(Variant v) throws IOException {
        long fdsBefore = openFds();
        Target t = open(v, NvmeOptions.defaults().withCompletion(Completion.MSIX));
        NvmeQueuePair q = t.nvme().queuePair();
        t.session().close();
        q.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> q.read(0, 1));
        assertEquals(fdsBefore, openFds(), "file descriptors left open");
    }

    /** A controller the program drops without close: the Cleaner shuts it down and releases the group. */
    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void forgottenControllerIsReleasedByTheCleaner(Variant v) throws Exception {
        NvmeHost.Location at = locate(v);
        try (Vfio vfio = vfio(v)) {
            long fdsBefore = openFds(vfio);
            openAndForget(vfio, at);
            assertTrue(openFds(vfio) > fdsBefore, "the forgotten controller holds its group, container and device");
            for (int i = 0; i < 200 && openFds(vfio) > fdsBefore; i++) {
                System.gc();
                Thread.sleep(50);
            }
            assertEquals(fdsBefore, openFds(vfio), "the Cleaner did not release the forgotten controller");
            // The group is free again: a new controller opens (the old one would hold it: EBUSY).
            try (NvmeController again = NvmeController.open(vfio, at.group(), at.address(), NvmeOptions.defaults());
                    NvmeQueuePair q = again.queuePair()) {
                assertEquals(NvmePattern.BLOCK, q.read(0, 1).length);
            }
        }
    }

    /** Open fds of the platform's process: the emulated process's fd table, or this process's. */
    static long openFds(Vfio vfio) throws IOException {
        return vfio.backend() instanceof io.jvfio.emul.EmulatedBackend e ? e.inspect().openFds().size() : openFds();
    }

    private static void openAndForget(Vfio vfio, NvmeHost.Location at) throws IOException {
        NvmeController c = NvmeController.open(vfio, at.group(), at.address(), NvmeOptions.defaults());
        c.queuePair().read(0, 1);
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("variants")
    void notAnNvmeDeviceIsRefused(Variant v) throws IOException {
        locate(v);
        // Group 0 holds edu in the guest: the driver must refuse it by PCI class, before touching BAR0.
        try (Vfio vfio = vfio(v)) {
            UnprivilegedStage.requireGroup(vfio, 0);
        }
        try (Vfio vfio = vfio(v); DmaSession s = DmaSession.open(vfio, 0)) {
            String edu = io.jvfio.toolkit.VfioHost.firstDevice(vfio, 0);
            NvmeException e = assertThrows(NvmeException.class, () -> NvmeController.open(s, edu, NvmeOptions.defaults()));
            assertEquals(NvmeException.Kind.UNSUPPORTED, e.kind());
            assertTrue(e.getMessage().contains("not an NVMe controller"), e.getMessage());
        }
    }

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
