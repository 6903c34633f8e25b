/**
 * The raw public API: {@link io.jvfio.Vfio}, {@link io.jvfio.Container}, {@link io.jvfio.Group},
 * {@link io.jvfio.Device}, {@link io.jvfio.DmaBuffer}, one method per VFIO operation, with the guards
 * that keep the 6.12 pSeries kernel safe. Most programs start one level up, from
 * {@code io.jvfio.toolkit.DmaSession}, which plans the windows and refuses unsafe platforms.
 *
 * <h2>Exceptions</h2>
 * <ul>
 *   <li>{@link io.jvfio.VfioException} (checked) when the platform refuses or fails: the kernel (or the
 *       emulator) answered an errno, a system call around it failed, or there is no VFIO. Its leaves say
 *       which ({@link io.jvfio.VfioUnavailableException}, {@link io.jvfio.VfioPermissionException},
 *       {@link io.jvfio.VfioIoctlException}, {@link io.jvfio.VfioSystemException}); every message names
 *       the operation, the errno and what to do.</li>
 *   <li>{@link io.jvfio.VfioGuardException}, also a {@code VfioException}, when jvfio refuses a call
 *       before issuing it: the kernel would crash or be harmed (a MAP crossing its window's end), or
 *       the arguments cannot succeed (a buffer size that is not a page multiple, a read outside a
 *       region).</li>
 *   <li>{@link IllegalStateException} for use after close: of the object, of its owner (device, group,
 *       container, {@link io.jvfio.Vfio}), or of freed memory. Never EBADF on a reused fd.</li>
 *   <li>{@link NullPointerException} for a null argument; {@link IndexOutOfBoundsException} and
 *       {@link IllegalArgumentException} for an out-of-range or misaligned {@link io.jvfio.Bar} access;
 *       {@link IllegalArgumentException} for an unknown emulator profile.</li>
 * </ul>
 * No misuse crashes the JVM, and nothing leaks: closing an owner closes what it made, and closing a
 * {@link io.jvfio.DmaBuffer} unmaps and unregisters it first.
 *
 * <h2>Threads</h2>
 * Every class here is thread-safe or immutable, as its documentation says: calls may come from any
 * thread, and a close from another thread is safe (later calls throw {@link IllegalStateException}).
 */
package io.jvfio;
