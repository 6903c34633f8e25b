package io.jvfio.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The host half of DLPAR in a guest run. QEMU listens for QMP on a unix socket ({@link #qemuArgs});
 * a console line {@code JVFIO-HOTPLUG device_add {...}} or {@code JVFIO-HOTPLUG device_del {"id":...}}
 * written by the guest (the in-guest test, at the moment it is ready) makes the host send that command
 * with those arguments. The guest sees the outcome itself (the device appears in or leaves sysfs, bounded
 * by its own timeout); the replies are kept ({@link #replies}) and echoed on stderr as {@code [qmp] ...}.
 *
 * <p>A console marker rather than a fixed hot-add before the suite: the guest asks only once its test
 * watches for the device (and holds it, for a removal), so nothing depends on boot timing. Only
 * {@code device_add} and {@code device_del} are relayed.
 */
public final class QmpHotplug implements Consumer<ConsoleLine>, AutoCloseable {
    /** The console marker, followed by the command and its JSON arguments. */
    public static final String MARKER = "JVFIO-HOTPLUG ";
    static final Set<String> COMMANDS = Set.of("device_add", "device_del");

    private final Path socket;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon()
            .name("jvfio-qmp").unstarted(r));
    private final List<String> replies = new ArrayList<>();

    /** @param socket where QEMU's QMP socket will be (inside the run directory) */
    public QmpHotplug(Path socket) {
        this.socket = socket;
    }

    /** The QEMU arguments that open the QMP socket without waiting for a client. */
    public List<String> qemuArgs() {
        return List.of("-qmp", "unix:" + socket + ",server=on,wait=off");
    }

    /**
     * The QMP command a console line asks for, or null when it asks for none.
     *
     * @throws IllegalArgumentException for a marker with a command other than device_add/device_del
     */
    static String command(String line) {
        int at = line.indexOf(MARKER);
        if (at < 0) {
            return null;
        }
        String rest = line.substring(at + MARKER.length()).strip();
        int sp = rest.indexOf(' ');
        String cmd = sp < 0 ? rest : rest.substring(0, sp);
        if (!COMMANDS.contains(cmd)) {
            throw new IllegalArgumentException("hot-plug marker asks for '" + cmd + "': only " + COMMANDS + " are relayed");
        }
        String args = sp < 0 ? "{}" : rest.substring(sp + 1).strip();
        return "{\"execute\":\"" + cmd + "\",\"arguments\":" + args + "}";
    }

    @Override
    public void accept(ConsoleLine line) {
        String cmd;
        try {
            cmd = command(line.text());
        } catch (IllegalArgumentException e) {
            record("refused: " + e.getMessage());
            return;
        }
        if (cmd != null) {
            worker.execute(() -> send(cmd));
        }
    }

    private void send(String cmd) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            in.readLine(); // the greeting
            for (String c : List.of("{\"execute\":\"qmp_capabilities\"}", cmd)) {
                ch.write(ByteBuffer.wrap((c + "\n").getBytes(StandardCharsets.UTF_8)));
                String reply;
                do {
                    reply = in.readLine(); // events may come first
                } while (reply != null && !reply.contains("\"return\"") && !reply.contains("\"error\""));
                if (c == cmd) {
                    record(cmd + " -> " + reply);
                }
            }
        } catch (IOException e) {
            record(cmd + " -> failed: " + e.getMessage());
        }
    }

    private void record(String s) {
        synchronized (replies) {
            replies.add(s);
        }
        System.err.println("[qmp] " + s);
    }

    /** What each relayed command got back, in order. */
    public List<String> replies() {
        synchronized (replies) {
            return List.copyOf(replies);
        }
    }

    /** Lets a command in flight finish (bounded), then stops the relay. */
    @Override
    public void close() {
        worker.shutdown();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.shutdownNow();
    }
}
