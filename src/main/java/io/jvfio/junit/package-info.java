/**
 * JUnit 5 support for driver projects: {@link io.jvfio.junit.EmulatedVfio} runs a test on an emulated
 * pSeries VFIO platform and injects its {@code Vfio}, {@code Container}, {@code Group}, {@code Device}
 * and {@code DmaSession}, so a userspace driver's unit tests run on any host. junit-jupiter-api is an
 * optional dependency of jvfio.
 */
package io.jvfio.junit;
