package io.jvfio.harness;

import io.jvfio.emul.EmulatedBackend;
import io.jvfio.emul.EmulatorState;
import io.jvfio.emul.Profile;
import io.jvfio.scenario.ScenarioStartException;
import io.jvfio.scenario.Scenario;
import io.jvfio.scenario.ScenarioParser;
import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.ScenarioSyntaxException;
import io.jvfio.scenario.StepLines;
import io.jvfio.scenario.StepLines.Difference;
import io.jvfio.scenario.StepLines.Line;
import io.jvfio.scenario.StepResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs scenario files on the emulator and on the real kernel in the QEMU guest, and compares them
 * step by step.
 *
 * <p>Every file must start from a fresh platform. A boot costs seconds, so files share boots where
 * that is provably equivalent, decided from the emulator's run of the same file:
 * <ul>
 *   <li>a file on which the kernel would oops (or QEMU abort) is not run on the kernel at all;</li>
 *   <li>a file that leaves the PE on pSeries' failed-DDW list gets a boot of its own;</li>
 *   <li>a file that leaves process state behind (memory still registered, locked memory charged:
 *       6.12 keeps a region pinned when it is unregistered while mapped) gets a JVM of its own;</li>
 *   <li>the rest share one JVM per boot: each opens its own container and closes everything, which
 *       hands the PE back to the platform (release_ownership resets its windows).</li>
 * </ul>
 * Each shared boot runs a canary scenario first and last; the two runs must print the same lines
 * (and the same as the emulator), which shows the files in between left the platform as they found it.
 *
 * <p>A kernel Oops, BUG or WARNING does not fail the boot: {@code jvfio run --mark-steps /dev/kmsg}
 * marks each step in the kernel log, the message is attributed to the step before it
 * ({@link StepKernelMessages}) and shows in that step's result ({@code ok [kernel WARNING]}), where the
 * emulator must have logged the same kind; the other steps are compared as usual. Only a message
 * before any step (which no step caused) is a problem of the boot.
 */
public final class ScenarioDiff {
    /** The canary: the shared v2 example, which touches windows, registration and mapping. */
    public static final String CANARY = """
            # canary: run first and last in every shared boot
            open-group 0
            set-container
            set-iommu v2
            tce-info
            alloc buf 32M
            alloc huge 8M hugetlb
            register buf
            register huge
            map 0x100000 1M buf
            unmap 0x100000 1M
            create 16 4G 1
            map 0x800000000000000 2M huge
            unmap 0x800000000000000 2M
            remove 0x800000000000000
            unregister huge
            unregister buf
            unset-container
            """;

    /** How a file is run on the kernel. */
    public enum Isolation { SHARED, OWN_JVM, OWN_BOOT, NOT_ON_KERNEL }

    /** One file's comparison. {@code notCompared} says why the kernel did not run it, else null. */
    public record FileResult(String file, Isolation isolation, List<Line> emulated, List<Line> kernel,
            List<Difference> differences, String notCompared, List<StepKernelMessages.Message> kernelMessages) {
        public int stepsCompared() {
            return notCompared != null ? 0 : Math.max(emulated.size(), kernel.size());
        }
    }

    /** The whole run. */
    public record Report(String profile, List<FileResult> files, int boots, List<String> canaryProblems, double seconds) {
        public long stepsCompared() {
            return files.stream().mapToLong(FileResult::stepsCompared).sum();
        }

        public long stepsDiffering() {
            return files.stream().mapToLong(f -> f.differences().size()).sum();
        }

        public long filesNotCompared() {
            return files.stream().filter(f -> f.notCompared() != null).count();
        }

        /** Every kernel Oops, BUG or WARNING, with its file and step. */
        public List<StepKernelMessages.Message> kernelMessages() {
            return files.stream().flatMap(f -> f.kernelMessages().stream()).toList();
        }

        public boolean agree() {
            return stepsDiffering() == 0 && canaryProblems.isEmpty();
        }
    }

    private final String profile;
    /** The emulator's profile, modelling the release of the kernel it is compared with. */
    private final Profile model;
    private final GuestMachine machine;
    private final GuestImages.Flavour flavour;
    private final GuestLauncher launcher;
    private final GuestImages images;
    private final int parallel;
    private final PrintWriter progress;

    public ScenarioDiff(String profile, GuestLauncher launcher, GuestImages images, int parallel, PrintWriter progress) {
        this(profile, launcher, images, GuestImages.Flavour.K4, parallel, progress);
    }

    /** Compares with the {@code flavour} (page size) of the images' kernel; the emulator models that page size. */
    public ScenarioDiff(String profile, GuestLauncher launcher, GuestImages images, GuestImages.Flavour flavour,
            int parallel, PrintWriter progress) {
        this.profile = profile;
        this.flavour = flavour;
        Profile p = Profile.named(profile);
        this.model = images.kernelRelease().map(p::withKernel).orElse(p).withKernelPageSize(flavour.pageSize());
        this.machine = machineOf(profile);
        this.launcher = launcher;
        this.images = images;
        this.parallel = Math.max(1, parallel);
        this.progress = progress;
    }

    /** The emulator's model of a platform, at the release of the kernel it is compared with. */
    private Profile modelOf(String platform) {
        return platform.equals(profile) ? model
                : Profile.named(platform).withKernel(model.kernel()).withKernelPageSize(model.kernelPageSize());
    }

    /** The machine of a platform, booting this run's kernel flavour. */
    private GuestMachine machineOf(String platform) {
        return machineFor(platform).toBuilder().flavour(flavour).build();
    }

    /** The QEMU machine whose guest matches an emulator profile. */
    public static GuestMachine machineFor(String profile) {
        // Room in the kernel log for a step mark per step of a few thousand steps (the default 128 KiB
        // wraps after about two thousand, and the marks and messages before that are lost).
        GuestMachine.Builder b = GuestMachine.defaults().toBuilder().kernelArg("log_buf_len=16M");
        switch (profile) {
            case Profile.QEMU_PSERIES, Profile.QEMU_PSERIES_NEWEST -> { }
            case Profile.QEMU_PSERIES_2PHB -> b.secondPhb(true);
            case Profile.BIG_WINDOW -> b.dmaWindowSize(0x80000000L);
            case Profile.NO_DDW -> b.ddw(false);
            case Profile.QEMU_PSERIES_TOPOLOGY -> {
                // PHB 2 carries a three-function edu: functions above 0 first, as hot-plug needs; QEMU 7.2
                // wants multifunction=on on every function of the slot.
                List<String> args = new ArrayList<>(List.of("-device", "spapr-pci-host-bridge,index=2,id=phb2"));
                for (int f : new int[] {1, 2, 0}) {
                    args.addAll(new DeviceSpec.Edu(GuestMachine.FULL_DMA_MASK, 2, f, true).qemuArgs("phb2.0"));
                }
                b.secondPhb(true).extraArgs(args.toArray(String[]::new));
            }
            default -> throw new IllegalArgumentException("profile " + profile
                    + " has no QEMU equivalent to diff against (QEMU cannot present an SR-IOV VF); profiles: "
                    + String.join(", ", Profile.QEMU_PSERIES, Profile.QEMU_PSERIES_2PHB, Profile.BIG_WINDOW,
                            Profile.NO_DDW, Profile.QEMU_PSERIES_TOPOLOGY));
        }
        return b.build();
    }

    /** A file's emulator run; {@code platform} is the profile it ran on (its {@code #% platform}, else the run's). */
    private record Emulated(Path path, List<Line> lines, Isolation isolation, String why, String platform) {
        Emulated(Path path, List<Line> lines, Isolation isolation, String why) {
            this(path, lines, isolation, why, null);
        }

        Emulated on(String p) {
            return new Emulated(path, lines, isolation, why, p);
        }
    }

    private Emulated emulate(Path file) throws IOException, ScenarioSyntaxException {
        Scenario s = ScenarioParser.parse(file);
        return emulate(file, s).on(s.platformOr(profile));
    }

    private Emulated emulate(Path file, Scenario s) throws IOException {
        try (EmulatedBackend emu = new EmulatedBackend(s.process().applyTo(modelOf(s.platformOr(profile))))) {
            // The emulator's kernel log during each step, to compare with what the kernel logged.
            List<Line> lines = new ArrayList<>();
            int[] logged = {0};
            ScenarioRunner.Outcome o = new ScenarioRunner(emu).run(s, step -> logged[0] = emu.inspect().dmesg().size(), r -> {
                List<String> log = emu.inspect().dmesg();
                lines.add(StepKernelMessages.annotate(StepLines.parse(r.text()), log.subList(Math.min(logged[0], log.size()),
                        log.size()).stream().filter(m -> GuestResult.KERNEL_PROBLEM.matcher(m).find()).toList()));
            });
            EmulatorState st = emu.inspect();
            if (o.kernelBug() || st.kernelBugHit()) {
                StepResult last = o.results().get(o.results().size() - 1);
                return new Emulated(file, lines, Isolation.NOT_ON_KERNEL,
                        "the kernel (Linux " + model.kernel() + ") oopses or never returns at step " + last.step()
                                + " (" + last.kernelBug() + ")");
            }
            if (st.qemuAborted()) {
                return new Emulated(file, lines, Isolation.NOT_ON_KERNEL, "QEMU 7.2 aborts on this file (edu range check)");
            }
            if (!st.failedDdwGroups().isEmpty()) {
                return new Emulated(file, lines, Isolation.OWN_BOOT, "leaves groups " + st.failedDdwGroups()
                        + " on the failed-DDW list");
            }
            if (!st.preregRegions().isEmpty() || st.lockedVmBytes() != 0) {
                return new Emulated(file, lines, Isolation.OWN_JVM, "leaves memory registered or charged");
            }
            return new Emulated(file, lines, Isolation.SHARED, "");
        } catch (ScenarioStartException e) {
            throw new IllegalStateException("the emulator has a container: " + e.getMessage(), e);
        }
    }

    /** One boot's worth of files, on the machine of {@code platform}. */
    private record Boot(List<Emulated> shared, List<Emulated> ownJvm, boolean canary, String platform) {}

    /**
     * What one boot gave: each file's result lines (by host path, or canary-first/-last), the kernel
     * messages attributed to their steps, and the boot's own problems (a timeout, a message before any step).
     */
    private record BootOutput(Map<String, List<Line>> lines, List<StepKernelMessages.Message> messages,
            List<String> problems) {}

    public Report run(List<Path> files) throws IOException, ScenarioSyntaxException {
        long t0 = System.nanoTime();
        List<Emulated> emulated = new ArrayList<>();
        for (Path f : files) {
            emulated.add(emulate(f));
        }
        List<Boot> boots = plan(emulated);
        progress.printf("diff: %d file(s) on the emulator (profile %s, modelling Linux %s); %d boot(s) of the QEMU guest,"
                + " %d at a time%n", files.size(), profile, model.kernel(), boots.size(), parallel);
        progress.flush();

        Path canaryDir = java.nio.file.Files.createTempDirectory("jvfio-canary");
        List<Path> canary = new ArrayList<>();
        for (String k : List.of("canary-first", "canary-last")) {
            Path f = canaryDir.resolve(k + ".scn");
            java.nio.file.Files.writeString(f, CANARY);
            f.toFile().deleteOnExit();
            canary.add(f);
        }
        canaryDir.toFile().deleteOnExit();
        List<Line> canaryEmulated = emulate(canary.get(0)).lines();

        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        List<Future<BootOutput>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < boots.size(); i++) {
                Boot b = boots.get(i);
                int n = i + 1;
                futures.add(pool.submit(() -> boot(n, b, canary)));
            }
            List<FileResult> results = new ArrayList<>();
            List<String> canaryProblems = new ArrayList<>();
            Map<Path, FileResult> byPath = new java.util.LinkedHashMap<>();
            for (int i = 0; i < boots.size(); i++) {
                BootOutput out;
                try {
                    out = futures.get(i).get();
                } catch (Exception e) {
                    Throwable c = e.getCause() != null ? e.getCause() : e;
                    throw new IOException("boot " + (i + 1) + " failed: " + c.getMessage(), c);
                }
                Boot b = boots.get(i);
                if (b.canary()) {
                    for (String k : List.of("canary-first", "canary-last")) {
                        List<Difference> d = StepLines.compare(canaryEmulated, out.lines().getOrDefault(k, List.of()));
                        if (!d.isEmpty()) {
                            canaryProblems.add("boot " + (i + 1) + " " + k + ": " + d.size() + " step(s) differ, first: step "
                                    + d.get(0).step() + " emulated " + d.get(0).left() + ", kernel " + d.get(0).right());
                        }
                    }
                }
                canaryProblems.addAll(out.problems());
                for (Emulated e : concat(b.shared(), b.ownJvm())) {
                    String f = e.path().toString();
                    List<StepKernelMessages.Message> messages = out.messages().stream().filter(m -> m.file().equals(f)).toList();
                    List<Line> k = out.lines().getOrDefault(f, List.of()).stream().map(l -> StepKernelMessages.annotate(l,
                            messages.stream().filter(m -> m.step() == l.step()).map(StepKernelMessages.Message::text).toList()))
                            .toList();
                    byPath.put(e.path(), new FileResult(f, e.isolation(), e.lines(), k, StepLines.compare(e.lines(), k), null,
                            messages));
                }
            }
            for (Emulated e : emulated) {
                FileResult r = byPath.get(e.path());
                results.add(r != null ? r : new FileResult(e.path().toString(), e.isolation(), e.lines(), List.of(),
                        List.of(), e.why(), List.of()));
            }
            return new Report(profile, results, boots.size(), canaryProblems, (System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /**
     * The run's platform first, as {@link #plan(List, String, int)}; then the files that name another
     * ({@code #% platform}), on boots of that platform's machine.
     */
    private List<Boot> plan(List<Emulated> emulated) {
        Map<String, List<Emulated>> byPlatform = new java.util.LinkedHashMap<>();
        byPlatform.put(profile, new ArrayList<>());
        emulated.forEach(e -> byPlatform.computeIfAbsent(e.platform(), p -> new ArrayList<>()).add(e));
        List<Boot> boots = new ArrayList<>();
        byPlatform.forEach((p, files) -> boots.addAll(plan(files, p, p.equals(profile) ? parallel : 1)));
        return boots;
    }

    /** Shared files split over {@code parallel} boots with canaries; each OWN_BOOT file alone. */
    private static List<Boot> plan(List<Emulated> emulated, String platform, int parallel) {
        List<List<Emulated>> shared = new ArrayList<>();
        List<List<Emulated>> own = new ArrayList<>();
        for (int i = 0; i < parallel; i++) {
            shared.add(new ArrayList<>());
            own.add(new ArrayList<>());
        }
        int s = 0;
        List<Boot> boots = new ArrayList<>();
        for (Emulated e : emulated) {
            switch (e.isolation()) {
                case SHARED -> shared.get(s++ % parallel).add(e);
                case OWN_JVM -> own.get(s++ % parallel).add(e);
                case OWN_BOOT -> boots.add(new Boot(List.of(e), List.of(), false, platform));
                case NOT_ON_KERNEL -> { }
            }
        }
        for (int i = 0; i < parallel; i++) {
            if (!shared.get(i).isEmpty() || !own.get(i).isEmpty()) {
                boots.add(0, new Boot(shared.get(i), own.get(i), true, platform));
            }
        }
        return boots;
    }

    /** The jar this code runs from, when it is one: the guest must run the same jvfio. */
    static Path runningJar() {
        try {
            Path p = Path.of(ScenarioDiff.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.toString().endsWith(".jar") ? p : JvfioBatch.defaultJar();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return JvfioBatch.defaultJar();
        }
    }

    private BootOutput boot(int n, Boot b, List<Path> canary) {
        JvfioBatch batch = JvfioBatch.create().jar(runningJar());
        Map<String, String> guestToHost = new java.util.HashMap<>();
        Map<String, String> singleFileCommands = new java.util.HashMap<>();
        // One JVM runs the canary, the shared files and the canary again: a JVM start costs seconds under TCG.
        List<Path> sharedRun = new ArrayList<>();
        if (b.canary()) {
            sharedRun.add(canary.get(0));
        }
        b.shared().forEach(e -> sharedRun.add(e.path()));
        if (b.canary()) {
            sharedRun.add(canary.get(1));
        }
        if (sharedRun.size() == 1) {
            singleFileCommands.put("shared", sharedRun.get(0).toString());
        }
        if (!sharedRun.isEmpty()) {
            List<String> args = new ArrayList<>(RUN);
            for (Path p : sharedRun) {
                String g = batch.ship(p);
                guestToHost.put(g, canary.contains(p) ? p.getFileName().toString().replace(".scn", "") : p.toString());
                args.add(g);
            }
            batch.command("shared", args.toArray(String[]::new));
        }
        int k = 0;
        for (Emulated e : b.ownJvm()) {
            String id = "own-" + (++k);
            String g = batch.ship(e.path());
            List<String> args = new ArrayList<>(RUN);
            args.add(g);
            batch.command(id, args.toArray(String[]::new));
            singleFileCommands.put(id, e.path().toString());
            guestToHost.put(g, e.path().toString());
        }
        List<java.util.regex.Pattern> ignored = new ArrayList<>();
        if (!b.ownJvm().isEmpty()) {
            // 6.12 WARNs when a process exits with pre-registered memory that TCEs kept pinned (UNREGISTER
            // while mapped returns 0 but drops nothing); those files run in their own JVM for this reason.
            ignored.add(java.util.regex.Pattern.compile("WARNING: .* destroy_context"));
        }
        // Kernel messages are attributed to their steps below instead of failing the boot.
        batch.tolerateKernelMessage(GuestResult.KERNEL_PROBLEM.pattern());
        progress.printf("diff: boot %d: %d shared file(s), %d in their own JVM%s%n", n, b.shared().size(),
                b.ownJvm().size(), b.canary() ? ", canary first and last" : " (a boot of its own)");
        progress.flush();
        GuestResult r;
        List<String> problems = new ArrayList<>();
        try {
            r = launcher.run(b.platform().equals(profile) ? machine : machineOf(b.platform()), images,
                    batch.build("diff-" + n));
        } catch (GuestTimeoutException e) {
            // A call that never returned: the steps printed so far still count, the rest show as missing.
            r = e.result().orElseThrow(() -> e);
            problems.add("boot " + n + " timed out (" + e.getMessage() + "): a call that never returned; the steps"
                    + " after the last one printed are missing");
        }
        Map<String, List<Line>> out = new java.util.HashMap<>();
        JvfioBatch.results(r).forEach((id, cmd) -> {
            List<String> text = cmd.output().lines().toList();
            if (singleFileCommands.containsKey(id)) {
                out.put(singleFileCommands.get(id), StepLines.of(text));
            } else {
                StepLines.byFile(text).forEach((g, lines) -> out.put(guestToHost.getOrDefault(g, g), lines));
            }
        });
        // A boot cut short never printed its dmesg: its console has the messages the console level let through.
        List<String> log = r.dmesg().isEmpty() ? r.lines().stream().map(ConsoleLine::text).toList() : r.dmesg();
        if (!r.dmesg().isEmpty() && !r.dmesg().getFirst().contains(" 0.000000]")) {
            problems.add("boot " + n + ": the kernel log wrapped (it starts at '" + r.dmesg().getFirst()
                    + "'): messages of the steps before are lost");
        }
        StepKernelMessages.Attribution a = StepKernelMessages.attribute(log, ignored);
        a.beforeAnyStep().forEach(m -> problems.add("boot " + n + ": a kernel message before any step: " + m));
        List<StepKernelMessages.Message> messages = a.afterSteps().stream().map(m ->
                new StepKernelMessages.Message(guestToHost.getOrDefault(m.file(), m.file()), m.step(), m.text())).toList();
        progress.printf("diff: boot %d done (%s)%s%n", n, r.timing(),
                messages.isEmpty() ? "" : ", " + messages.size() + " kernel message(s) attributed to steps");
        progress.flush();
        return new BootOutput(out, messages, problems);
    }

    /** The guest command of a run: the kernel backend, each step marked in the kernel log. */
    private static final List<String> RUN = List.of("run", "--backend", "kernel", "--mark-steps", "/dev/kmsg");
}
