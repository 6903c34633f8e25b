package io.jvfio.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvfio.backend.KernelRelease;
import io.jvfio.backend.VfioBackend;
import io.jvfio.emul.EmulatedBackend;
import io.jvfio.scenario.ScenarioStartException;
import io.jvfio.scenario.ExitStatus;
import io.jvfio.scenario.Op;
import io.jvfio.scenario.ResultFormat;
import io.jvfio.scenario.ScenarioRunner;
import io.jvfio.scenario.StepResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvfio info}: what the platform says about itself. */
@Command(name = "info",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Prints what the platform says about itself.",
            "%nThe kernel (the running release; the series the emulator models), the VFIO API version, every extension CHECK_EXTENSION reports, the IOMMU groups (/dev/vfio/N; the"
                    + " profile's groups on the emulator) with their devices (/sys/kernel/iommu_groups/N/devices),"
                    + " and VFIO_IOMMU_SPAPR_TCE_GET_INFO as a v1 and as a v2 container see it, each in a fresh"
                    + " container that is closed again.%n"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:printed (a group that cannot be attached is reported, not an error)",
            "2:bad command line",
            "3:/dev/vfio/vfio, or the group given with --group, could not be opened; or the kernel is too old"
                    + " for VFIO SPAPR TCE (a pSeries guest before Linux 6.11: the reason is printed)",
            "4:emulator only: a call the real kernel oopses on (KERNEL-BUG)",
            "5:internal error in jvfio"})
public final class InfoCommand implements Callable<Integer> {
    /** CHECK_EXTENSION values 1..10 and their names in linux/vfio.h. */
    static final Map<Integer, String> EXTENSIONS = new LinkedHashMap<>();

    static {
        String[] names = {"VFIO_TYPE1_IOMMU", "VFIO_SPAPR_TCE_IOMMU", "VFIO_TYPE1v2_IOMMU", "VFIO_DMA_CC_IOMMU",
            "VFIO_EEH", "VFIO_TYPE1_NESTING_IOMMU", "VFIO_SPAPR_TCE_v2_IOMMU", "VFIO_NOIOMMU_IOMMU",
            "VFIO_UNMAP_ALL", "VFIO_UPDATE_VADDR"};
        for (int i = 0; i < names.length; i++) {
            EXTENSIONS.put(i + 1, names[i]);
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--group", paramLabel = "N", description = "Only this IOMMU group.")
    Integer group;

    @Mixin
    BackendOptions backendOptions = new BackendOptions();

    @Option(names = "--json", description = "One JSON document instead of text.")
    boolean json;

    /** GET_INFO in a fresh container: the tce-info result, or the step that failed before it. */
    record GetInfo(StepResult result, boolean reached) {}

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Backends.Choice choice = Backends.choose(backendOptions, spec.commandLine(), err);
        try (VfioBackend backend = choice.get()) {
            ScenarioRunner runner = new ScenarioRunner(backend);
            StepResult api;
            Map<String, StepResult> ext = new LinkedHashMap<>();
            try (ScenarioRunner.Session s = runner.open()) {
                api = Steps.run(s, "api-version");
                for (int n : EXTENSIONS.keySet()) {
                    ext.put(EXTENSIONS.get(n), Steps.run(s, "check-extension " + n));
                }
            }
            List<Integer> groups = group != null ? List.of(group) : Backends.groups(choice);
            ObjectNode root = Json.object();
            root.put("backend", backend.description());
            String kernel = kernelLine(backend);
            String tooOld = tooOldKernel(backend, groups);
            ObjectNode kj = root.putObject("kernel");
            kj.put("release", kernelRelease(backend));
            kj.put("modelled", backend.emulated());
            if (tooOld != null) {
                kj.put("problem", tooOld);
            }
            putValue(root, "api_version", api);
            ObjectNode extJson = root.putObject("extensions");
            ext.forEach((k, v) -> putValue(extJson, k, v));
            ArrayNode groupsJson = root.putArray("groups");
            List<String> text = new ArrayList<>();
            text.add("backend: " + backend.description());
            text.add("kernel: " + kernel);
            text.add("api version: " + valueOrErrno(api));
            text.add("extensions:");
            int n = 1;
            for (Map.Entry<String, StepResult> e : ext.entrySet()) {
                text.add("  " + e.getKey() + " (" + n++ + "): " + valueOrErrno(e.getValue()));
            }
            text.add("groups: " + (groups.isEmpty() ? "none" : String.join(" ", groups.stream().map(String::valueOf).toList())));
            int status = tooOld == null ? ExitStatus.OK : ExitStatus.UNAVAILABLE;
            String unavailable = null;
            for (int g : groups) {
                List<String> devices = Backends.devices(choice, g);
                GetInfo v1 = getInfo(runner, g, "v1");
                GetInfo v2 = getInfo(runner, g, "v2");
                if (group != null && !v1.reached() && v1.result().op() == Op.OPEN_GROUP) {
                    status = ExitStatus.UNAVAILABLE;
                    unavailable = Steps.describe(v1.result());
                }
                if (v1.result().status() == StepResult.Status.KERNEL_BUG || v2.result().status() == StepResult.Status.KERNEL_BUG) {
                    status = ExitStatus.KERNEL_BUG;
                }
                text.add("group " + g + ":");
                text.add("  devices: " + (devices.isEmpty() ? "(not listed)" : String.join(" ", devices)));
                text.add("  GET_INFO as v1: " + describe(v1));
                text.add("  GET_INFO as v2: " + describe(v2));
                ObjectNode gj = groupsJson.addObject();
                gj.put("group", g);
                ArrayNode dj = gj.putArray("devices");
                devices.forEach(dj::add);
                gj.set("get_info_v1", toJson(v1));
                gj.set("get_info_v2", toJson(v2));
            }
            if (json) {
                out.println(Json.pretty(root));
            } else {
                text.forEach(out::println);
            }
            if (tooOld != null) {
                err.println("jvfio info: " + tooOld);
            }
            if (unavailable != null) {
                err.println("jvfio info: group " + group + " could not be opened (" + unavailable
                        + "); " + Backends.groupAdvice(backend, group));
            }
            return status;
        } catch (ScenarioStartException e) {
            err.println(Backends.unavailable(spec, choice.emulated(), e.getMessage()));
            return ExitStatus.UNAVAILABLE;
        }
    }

    /** The running kernel's release ({@code uname -r}), or the series the emulator's profile models. */
    static String kernelRelease(VfioBackend backend) {
        return backend instanceof EmulatedBackend e ? e.profile().kernel() : KernelRelease.running();
    }

    private static String kernelLine(VfioBackend backend) {
        return kernelRelease(backend) + (backend.emulated() ? " (modelled by the emulator)" : " (running)");
    }

    /** Why VFIO SPAPR TCE cannot work on this kernel (a pSeries guest before 6.11), or null. */
    static String tooOldKernel(VfioBackend backend, List<Integer> groups) {
        if (backend.emulated() || !KernelRelease.lacksSpaprPseries(KernelRelease.running())) {
            return null;
        }
        String observed = groups.isEmpty()
                ? "no IOMMU group appears under /dev/vfio: vfio-pci cannot take a device (its probe fails with EINVAL (22), dmesg)"
                : "groups " + groups + " exist but the pSeries IOMMU ops VFIO needs are missing";
        return KernelRelease.tooOld(KernelRelease.running(), observed);
    }

    /** GET_INFO of {@code group} in a fresh container set to {@code type}. */
    static GetInfo getInfo(ScenarioRunner runner, int group, String type) throws ScenarioStartException {
        try (ScenarioRunner.Session s = runner.open()) {
            StepResult failed = Steps.runAll(s, Steps.attach(group, type));
            if (failed != null) {
                return new GetInfo(failed, false);
            }
            StepResult info = Steps.run(s, "tce-info");
            Steps.run(s, "unset-container");
            return new GetInfo(info, true);
        }
    }

    private static String describe(GetInfo g) {
        return g.reached() ? g.result().resultText() : "not reached: " + Steps.describe(g.result());
    }

    private static ObjectNode toJson(GetInfo g) {
        ObjectNode o = Json.object();
        if (!g.reached()) {
            o.put("failed_at", g.result().command());
        }
        o.put("result", g.result().result());
        ResultFormat.putOut(o.putObject("out"), g.result().out());
        return o;
    }

    /** The value as a JSON number, or the errno's name when the call failed. */
    private static void putValue(ObjectNode o, String key, StepResult r) {
        Long v = r.out().get("value");
        if (v != null) {
            o.put(key, v);
        } else {
            o.put(key, r.result());
        }
    }

    private static String valueOrErrno(StepResult r) {
        Long v = r.out().get("value");
        return v != null ? Long.toString(v) : r.result();
    }
}
