/**
 * Runs code in a QEMU pSeries guest with a real Linux 6.12 ppc64le kernel, where VFIO SPAPR TCE
 * works on emulated PCI devices (QEMU's {@code edu}): the guest jvfio's kernel tests and users'
 * drivers run in.
 *
 * <ul>
 *   <li>{@link io.jvfio.harness.GuestMachine}: what QEMU emulates (CPU, memory, edu devices, a second
 *       PHB, the PHB's DMA-window globals, kernel arguments, the timeout).</li>
 *   <li>{@link io.jvfio.harness.GuestImages}: the kernel and base initramfs {@code make images} caches.</li>
 *   <li>{@link io.jvfio.harness.GuestRun}: files shipped to {@code /jvfio} plus the script the guest's
 *       /init runs; written as a newc archive ({@link io.jvfio.harness.Cpio}) appended to the base
 *       initramfs. {@link io.jvfio.harness.GuestTestRun} builds one that runs JUnit selections with
 *       {@link io.jvfio.harness.guest.GuestTestMain} (several JVMs with root steps between them, as a
 *       {@link io.jvfio.harness.GuestUser} under its locked-memory limit if asked); {@link io.jvfio.harness.JvfioBatch} one that runs
 *       jvfio commands from the shaded jar, several per boot.</li>
 *   <li>{@link io.jvfio.harness.GuestLauncher}: boots it. {@link io.jvfio.harness.HostQemuLauncher}
 *       runs QEMU as a child process owned by {@link io.jvfio.harness.QemuProcess};
 *       {@link io.jvfio.harness.TestcontainersLauncher} runs it in a locally built container. Both
 *       return the same {@link io.jvfio.harness.GuestResult}: exit status, console with arrival times,
 *       the kernel log, {@link io.jvfio.harness.GuestTiming}. Every run is bounded, its console saved
 *       ({@link io.jvfio.harness.ConsoleArchive}), and an Oops, BUG, WARNING or panic in the kernel log
 *       fails it ({@link io.jvfio.harness.GuestKernelProblemException}).</li>
 *   <li>For downstream users: {@link io.jvfio.harness.GuestSetup} (kernel, {@link io.jvfio.harness.DeviceSpec
 *       devices}, PHBs, memory, timeout) and {@link io.jvfio.harness.GuestCommandRun} behind {@code jvfio guest};
 *       {@link io.jvfio.harness.junit.PseriesGuest} for JUnit; {@link io.jvfio.harness.GuestImages#ensure} builds
 *       the images on first use with the scripts {@link io.jvfio.harness.ImageScripts} carries in the jar.</li>
 * </ul>
 *
 * <pre>{@code
 * GuestImages images = GuestImages.locate();               // "run make images" if absent
 * GuestRun run = GuestTestRun.builder("my-tests").cds(images)
 *         .selectPackage("com.example.driver").systemProperty("jvfio.backends", "kernel").build();
 * GuestResult r = new HostQemuLauncher().run(GuestMachine.defaults(), images, run);
 * GuestTestResults t = GuestTestResults.parse(r);
 * System.out.println(t.countsLine() + "\n" + t.timingReport(r));
 * }</pre>
 */
package io.jvfio.harness;
