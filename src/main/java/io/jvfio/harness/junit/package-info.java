/**
 * JUnit 5 entry point for downstream projects: {@link io.jvfio.harness.junit.PseriesGuest} runs a test
 * class in a QEMU pSeries guest and reports each test's guest verdict in the host's test tree.
 */
package io.jvfio.harness.junit;
