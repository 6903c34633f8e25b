package io.jvfio.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits a console byte stream into lines stamped with their arrival time (ms after {@code t0},
 * a {@link System#nanoTime()} value). Carriage returns are dropped (the hvc console sends CRLF).
 * Thread-safe: one producer feeds, anyone may take a snapshot.
 */
public final class ConsoleCapture {
    private final long t0;
    private final Consumer<ConsoleLine> live;
    private final List<ConsoleLine> lines = new ArrayList<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream(256);

    /**
     * @param t0 the {@link System#nanoTime()} of QEMU's start
     * @param live called with each complete line as it arrives (e.g. to echo the console), or null
     */
    public ConsoleCapture(long t0, Consumer<ConsoleLine> live) {
        this.t0 = t0;
        this.live = live;
    }

    /** Echoes lines to stderr when the system property {@code jvfio.guest.echo} is true. */
    public static Consumer<ConsoleLine> echoIfRequested(String prefix) {
        return Boolean.getBoolean("jvfio.guest.echo") ? l -> System.err.println(prefix + l) : null;
    }

    public void feed(byte[] b, int off, int len) {
        List<ConsoleLine> done = null;
        synchronized (this) {
            for (int i = off; i < off + len; i++) {
                byte c = b[i];
                if (c == '\n') {
                    ConsoleLine l = new ConsoleLine(elapsedMillis(), partial.toString(StandardCharsets.UTF_8));
                    partial.reset();
                    lines.add(l);
                    if (live != null) {
                        (done == null ? done = new ArrayList<>() : done).add(l);
                    }
                } else if (c != '\r') {
                    partial.write(c);
                }
            }
        }
        if (done != null) {
            done.forEach(live);
        }
    }

    /** Ends the stream: an unterminated last line becomes a line. */
    public synchronized void finish() {
        if (partial.size() > 0) {
            lines.add(new ConsoleLine(elapsedMillis(), partial.toString(StandardCharsets.UTF_8)));
            partial.reset();
        }
    }

    /** Reads {@code in} to its end (blocking), then {@link #finish()}es. */
    public void drain(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        int n;
        try {
            while ((n = in.read(buf)) > 0) {
                feed(buf, 0, n);
            }
        } finally {
            finish();
        }
    }

    public synchronized List<ConsoleLine> lines() {
        return List.copyOf(lines);
    }

    private long elapsedMillis() {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
