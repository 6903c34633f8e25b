package io.jvfio.cli;

import io.jvfio.backend.KernelRelease;
import io.jvfio.backend.VfioBackend;
import io.jvfio.scenario.ScenarioStartException;
import io.jvfio.scenario.ExitStatus;
import io.jvfio.scenario.ResultFormat;
import io.jvfio.scenario.SafetyModel;
import io.jvfio.scenario.Scenario;
import io.jvfio.scenario.ScenarioParser;
import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.ScenarioSyntaxException;
import io.jvfio.scenario.Step;
import io.jvfio.scenario.StepResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvfio run FILE...}: executes scenarios, one result line per step. */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Runs scenarios (.scn files) on the kernel or the emulator.",
            "%nPrints one line per step, 'STEP: OP ARGS -> RESULT', and 'MISMATCH expected ...' after a step"
                    + " whose '-> EXPECT' did not hold; docs/scenario-format.md in the jvfio repository describes the language. Every file is"
                    + " parsed before anything runs. Each file starts from a fresh platform: a new emulator"
                    + " instance; on the kernel a fresh boot is the caller's job.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:every checked step matched",
            "1:at least one MISMATCH (the run went on to the end)",
            "2:a syntax error (reported as FILE:LINE: message; nothing ran), a file that is not a scenario (not"
                    + " text, or no operations), or a bad command line",
            "3:a file or /dev/vfio/vfio could not be opened",
            "4:extension, emulator only: a step on which the real kernel oopses, printed as"
                    + " 'N: OP ARGS -> KERNEL-BUG' and a line 'KERNEL-BUG <message>'; that file stopped there",
            "5:internal error in jvfio"},
        footer = {"%nBefore a step that the real kernel may not survive, or that may leave the group without dynamic"
                + " DMA windows until reboot, a warning goes to stderr (judged from the results so far, for the"
                + " default platform).",
            "%nWith several files the worst status wins; text output then puts '== FILE ==' before each"
                + " file's lines, and --json adds a leading \"file\" key to every line."})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Scenario files (.scn); - reads one from standard input.")
    List<Path> files;

    @Mixin
    BackendOptions backendOptions = new BackendOptions();

    @Option(names = "--json", description = "JSON lines instead of text: step, line, op, args, result, errno, out, expected, match.")
    boolean json;

    @Option(names = "--mark-steps", paramLabel = "PATH", description = "Before each step, write '"
            + StepMarks.PREFIX + "FILE STEP' to PATH (e.g. /dev/kmsg), so the kernel log shows which step preceded "
            + "a kernel message; jvfio diff uses it to attribute a WARNING to its step.")
    Path markSteps;

    /** Where the language is described, relative to the repository. */
    static final String SCENARIO_DOC = "docs/scenario-format.md";

    /** The name standard input's scenario goes by in messages ({@code run -}). */
    static final String STDIN_NAME = "<stdin>";

    /** Reads a file, or standard input for {@code -}, strictly as UTF-8, and parses it. */
    private static Scenario parse(Path f) throws IOException, ScenarioSyntaxException {
        boolean stdin = f.toString().equals("-");
        byte[] bytes = stdin ? System.in.readAllBytes() : Files.readAllBytes(f);
        String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        if (text.indexOf('\0') >= 0) {
            throw new MalformedInputException(1); // valid UTF-8 but binary: no scenario has a NUL
        }
        return ScenarioParser.parse(stdin ? STDIN_NAME : f.toString(), text);
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();

        // Everything is read and parsed before anything runs.
        List<Scenario> scenarios = new ArrayList<>();
        int status = ExitStatus.OK;
        for (Path f : files) {
            try {
                Scenario parsed = parse(f);
                if (parsed.steps().isEmpty()) {
                    err.println("jvfio run: " + parsed.name() + " has no operations (only blank lines and comments):"
                            + " nothing to run; see " + SCENARIO_DOC);
                    status = ExitStatus.combine(status, ExitStatus.SYNTAX);
                } else {
                    scenarios.add(parsed);
                }
            } catch (CharacterCodingException e) {
                err.println("jvfio run: " + f + " is not a scenario: it is not UTF-8 text (a .scn file is plain text,"
                        + " one operation per line; see " + SCENARIO_DOC + ")");
                status = ExitStatus.combine(status, ExitStatus.SYNTAX);
            } catch (NoSuchFileException e) {
                err.println("jvfio run: cannot open " + f + ": no such file; check the path");
                status = ExitStatus.combine(status, ExitStatus.UNAVAILABLE);
            } catch (IOException e) {
                err.println("jvfio run: cannot read " + f + ": " + e.getMessage() + "; check the path and its permissions");
                status = ExitStatus.combine(status, ExitStatus.UNAVAILABLE);
            } catch (ScenarioSyntaxException e) {
                e.errors().forEach(err::println);
                status = ExitStatus.combine(status, ExitStatus.SYNTAX);
            }
        }
        if (status != ExitStatus.OK) {
            return status; // nothing runs
        }

        Backends.Choice choice = Backends.choose(backendOptions, spec.commandLine(), err);
        boolean several = scenarios.size() > 1;
        for (Scenario s : scenarios) {
            if (several && !json) {
                out.println("== " + s.name() + " ==");
            }
            String file = several ? s.name() : null;
            // Warn just before a step the real kernel may not survive (an oops) or that may leave the PE
            // without DDW until reboot, judged from the results so far (the model is the default platform's).
            SafetyModel.Tracker safety = new SafetyModel.Tracker();
            String release = choice.emulated() ? null : KernelRelease.running();
            Consumer<Step> before = step -> {
                String hazard = release == null ? safety.hazard(step) : safety.hazard(step, release);
                if (hazard != null) {
                    out.flush();
                    err.println("jvfio run: warning: " + s.name() + ":" + step.line() + ": on the real kernel: " + hazard);
                    err.flush();
                }
            };
            String lacking = choice.emulated() ? null : missingGroups(s.platform());
            if (lacking != null) {
                out.flush();
                err.println("jvfio run: " + s.name() + ": its #% platform " + s.platform() + " needs " + lacking
                        + ", which this machine lacks; the file did not run (boot a guest with that platform's devices,"
                        + " as jvfio diff does)");
                status = ExitStatus.combine(status, ExitStatus.UNAVAILABLE);
                continue;
            }
            StepMarks marks = new StepMarks(markSteps, s.name());
            // a file's #% header: the emulator is configured so; on the kernel this thread takes it on
            try (ProcessApplier applied = choice.emulated() ? null : ProcessApplier.apply(s.process());
                    VfioBackend backend = choice.get(s.process(), s.platform())) {
                ScenarioRunner.Outcome o = new ScenarioRunner(backend).run(s, before.andThen(marks::mark), r -> {
                    safety.advance(s.steps().get(r.step() - 1), r.status() == StepResult.Status.OK);
                    if (json) {
                        out.println(ResultFormat.json(r, file));
                    } else {
                        ResultFormat.text(r).forEach(out::println);
                    }
                    out.flush();
                });
                status = ExitStatus.combine(status, o.exitStatus());
            } catch (ProcessApplier.Refused e) {
                out.flush();
                err.println("jvfio run: " + s.name() + ": cannot take on the process its #% header states: "
                        + e.getMessage() + "; the file did not run");
                status = ExitStatus.combine(status, ExitStatus.UNAVAILABLE); // the other files still run
            } catch (java.io.UncheckedIOException e) {
                out.flush();
                err.println("jvfio run: " + e.getMessage());
                return ExitStatus.combine(status, ExitStatus.UNAVAILABLE);
            } catch (ScenarioStartException e) {
                out.flush();
                err.println(Backends.unavailable(spec, choice.emulated(), s.name() + ": " + e.getMessage()));
                return ExitStatus.combine(status, ExitStatus.UNAVAILABLE);
            }
        }
        return status;
    }

    /** The group nodes of {@code platform} missing under /dev/vfio, as text, or null when all are there (or no platform). */
    private static String missingGroups(String platform) {
        if (platform == null) {
            return null;
        }
        List<String> missing = io.jvfio.emul.Profile.named(platform).groups().stream()
                .map(g -> "/dev/vfio/" + g.number()).filter(n -> !Files.exists(Path.of(n))).toList();
        return missing.isEmpty() ? null : String.join(", ", missing);
    }
}
