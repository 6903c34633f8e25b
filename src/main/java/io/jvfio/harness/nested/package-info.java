/**
 * Nested KVM: the VFIO SPAPR TCE series' own test, driven from Java. L0 is the host's QEMU (TCG,
 * {@code cap-nested-hv=on}); L1 a 64K-page pSeries guest with KVM and Debian's QEMU; L2 a 4K-page
 * guest that L1 starts with KVM and the device passed through with VFIO, running whatever
 * {@link io.jvfio.harness.GuestRun} the caller gives it (typically a
 * {@link io.jvfio.harness.GuestTestRun} of JUnit tests).
 *
 * <pre>{@code
 * NestedMachine m = NestedMachine.builder().dmaWindowSize(16 << 20).build();
 * GuestRun l2 = GuestTestRun.builder("my-driver").selectPackage("com.example.driver.it").build();
 * NestedResult r = new NestedLauncher().run(m, l2);
 * System.out.println(r.report());
 * }</pre>
 *
 * The images come from {@code qemu-images/nested/build-l1.sh}; see {@code docs/nested-kvm.md}.
 */
package io.jvfio.harness.nested;
