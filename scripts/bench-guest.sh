#!/usr/bin/env bash
# The in-guest MAP+UNMAP benchmark (docs/benchmarks.md, "In the guest"): the C program
# native/guest-bench/mapbench.c and jvfio's io.jvfio.toolkit.bench.MapBench, alternated in one boot
# of the QEMU pseries guest. `make bench-guest` builds what it needs first (images, build, guest-bench).
# Usage: [BENCH_JVM="guest JVM flags"] [BENCH_ARGS="mapbench options"] scripts/bench-guest.sh [ROUNDS]
#   (default: 5 rounds, C2 in the guest JVM (-XX:TieredStopAtLevel=4 over the runtime's built-in C1-only option), BENCH_ARGS="-w 200000" for both programs)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME_BENCH:-$(scripts/find-jdk.sh)}"
export PATH="$JAVA_HOME/bin:$PATH"
mkdir -p target/bench
echo "[bench-guest] compiling test classes and resolving the test class path" >&2
mvn -B -q -ntp test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test >&2
exec java --enable-native-access=ALL-UNNAMED \
    -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" \
    ${BENCH_JVM:+"-Dbench.jvm=$BENCH_JVM"} ${BENCH_ARGS:+"-Dbench.args=$BENCH_ARGS"} io.jvfio.bench.GuestMapBench "$@"
