package io.jvfio.harness;

import io.jvfio.scenario.StepLines;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's Oops, BUG and WARNING messages of a boot, each attributed to the scenario step that
 * preceded it. {@code jvfio run --mark-steps /dev/kmsg} writes {@code jvfio-step FILE STEP} into the
 * kernel log before each step, so a message belongs to the last mark before it: the step's ioctl, or
 * what ran between it and the next step (the close of the file's handles after its last step).
 */
public final class StepKernelMessages {
    /** The mark {@code jvfio run --mark-steps} writes before a step. */
    private static final Pattern MARK = Pattern.compile("jvfio-step (\\S+) (\\d+)\\s*$");
    /** A printk timestamp, dropped from messages so that they compare between boots. */
    private static final Pattern STAMP = Pattern.compile("^\\[\\s*\\d+\\.\\d+\\]\\s*");
    /** The lines of a message's trace that belong to it rather than to the next message. */
    private static final int TRACE_LINES = 14;

    private StepKernelMessages() {}

    /** A kernel message after step {@code step} of {@code file} (the file as given to jvfio run). */
    public record Message(String file, int step, String text) {}

    /** A boot's messages: those after a step, and those before any step (which no step caused). */
    public record Attribution(List<Message> afterSteps, List<String> beforeAnyStep) {}

    /**
     * Attributes every message of {@code dmesg} that matches {@link GuestResult#KERNEL_PROBLEM}, minus
     * {@link GuestResult#BENIGN_KERNEL_MESSAGES} and {@code ignored}.
     */
    public static Attribution attribute(List<String> dmesg, List<Pattern> ignored) {
        List<Message> after = new ArrayList<>();
        List<String> before = new ArrayList<>();
        String file = null;
        int step = 0;
        int traceUntil = -1;
        for (int i = 0; i < dmesg.size(); i++) {
            String line = dmesg.get(i);
            Matcher m = MARK.matcher(line);
            if (m.find()) {
                file = m.group(1);
                step = Integer.parseInt(m.group(2));
                traceUntil = -1;
                continue;
            }
            if (i <= traceUntil || !GuestResult.KERNEL_PROBLEM.matcher(line).find()
                    || GuestResult.BENIGN_KERNEL_MESSAGES.stream().anyMatch(p -> p.matcher(line).find())
                    || ignored.stream().anyMatch(p -> p.matcher(line).find())) {
                continue;
            }
            traceUntil = i + TRACE_LINES;
            String text = STAMP.matcher(line).replaceFirst("");
            if (file == null) {
                before.add(text);
            } else {
                after.add(new Message(file, step, text));
            }
        }
        return new Attribution(after, before);
    }

    /** The kind of a kernel message ({@code WARNING}, {@code Oops}, {@code BUG}, ...), as a step's result shows it. */
    public static String kind(String text) {
        Matcher m = GuestResult.KERNEL_PROBLEM.matcher(text);
        return m.find() ? m.group().replace(":", "") : "message";
    }

    /**
     * A step's result line with the kinds of the kernel messages it caused appended
     * ({@code ok [kernel WARNING]}), so that a step compares equal only when both sides logged the same.
     */
    public static StepLines.Line annotate(StepLines.Line line, List<String> texts) {
        if (texts.isEmpty()) {
            return line;
        }
        StringBuilder r = new StringBuilder(line.result());
        texts.stream().map(StepKernelMessages::kind).distinct().forEach(k -> r.append(" [kernel ").append(k).append(']'));
        return new StepLines.Line(line.step(), line.command(), r.toString());
    }
}
