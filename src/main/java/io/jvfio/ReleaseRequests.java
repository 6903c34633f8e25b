package io.jvfio;

import io.jvfio.abi.VfioUapi;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A watch on vfio-pci's request interrupt ({@code VFIO_PCI_REQ_IRQ_INDEX}): the kernel signals it when
 * the device is about to go (DLPAR hot-remove, unbind) and then waits, re-asking every 10 s, until every
 * fd of the device is closed. The listener runs once, on the watch's daemon thread, and should release
 * the device (close it, or the session holding it); see {@link Device#onReleaseRequest}.
 *
 * <p>Closing the watch disarms it (idempotent, from any thread, also from the listener); closing the
 * device closes its watch.
 */
public final class ReleaseRequests implements AutoCloseable {
    /**
     * One wait of the watch thread on the eventfd. It sleeps in poll(2) and wakes when the kernel
     * signals or {@link #close()} wakes it; the bound is only a backstop.
     */
    static final Duration WAIT = Duration.ofSeconds(1);

    private final Device device;
    private final EventFd eventfd;
    private final Consumer<Device> listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean fired;

    private ReleaseRequests(Device device, EventFd eventfd, Consumer<Device> listener) {
        this.device = device;
        this.eventfd = eventfd;
        this.listener = listener;
    }

    /** Arms the request interrupt of {@code device} on a new eventfd and starts the watch thread. */
    static ReleaseRequests arm(Vfio vfio, Device device, Consumer<Device> listener) throws VfioException {
        Objects.requireNonNull(listener, "listener");
        EventFd e = vfio.eventfd();
        try {
            device.setIrqEventfd(VfioUapi.VFIO_PCI_REQ_IRQ_INDEX, e);
        } catch (VfioException | RuntimeException x) {
            e.close();
            throw x;
        }
        ReleaseRequests r = new ReleaseRequests(device, e, listener);
        Thread.ofPlatform().daemon().name("jvfio-release-request-" + device.address()).start(r::watch);
        return r;
    }

    private void watch() {
        try {
            while (!closed.get() && !Thread.currentThread().isInterrupted()) {
                if (eventfd.await(WAIT) > 0 && !closed.get()) {
                    fired = true;
                    listener.accept(device);
                    return;
                }
            }
        } catch (IllegalStateException e) {
            // closed under us (the device went with its Vfio): nothing left to watch
        } catch (VfioException e) {
            System.getLogger(ReleaseRequests.class.getName()).log(System.Logger.Level.WARNING,
                    "reading the release-request eventfd of " + device.address() + " failed: " + e.getMessage());
        } finally {
            close();
        }
    }

    /**
     * Whether the kernel has asked for the device.
     *
     * @return true once the request interrupt fired (the listener then ran or is running)
     */
    public boolean requested() {
        return fired;
    }

    /**
     * Stops watching and closes the eventfd (the kernel drops its trigger when the device fd closes).
     * The watch thread is woken through the eventfd itself, so that it lets go of the fd now rather
     * than at the end of its current poll; that count is never taken for a request.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                eventfd.add(1);
            } catch (IllegalStateException e) {
                // closed already, with its Vfio: the watch thread is on its way out
            }
            eventfd.close();
        }
    }
}
