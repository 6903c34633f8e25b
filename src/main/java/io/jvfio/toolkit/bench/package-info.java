/**
 * In-guest benchmarks of the toolkit's paths; {@link io.jvfio.toolkit.bench.MapBench} is the Java
 * counterpart of {@code native/guest-bench/mapbench.c}.
 */
package io.jvfio.toolkit.bench;
