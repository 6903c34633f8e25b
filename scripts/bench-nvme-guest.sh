#!/usr/bin/env bash
# The in-guest NVMe benchmark (docs/benchmarks.md, "NVMe"): jvfio's polled driver against the guest
# kernel's nvme driver (O_DIRECT, native/guest-bench/nvmebench.c) on one QEMU nvme device, in one boot.
# `make bench-nvme-guest` builds what it needs first (images, build, guest-bench).
# Usage: scripts/bench-nvme-guest.sh [ROUNDS [SECONDS]]   (default 2 rounds, 5 s per workload)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME_BENCH:-$(scripts/find-jdk.sh)}"
export PATH="$JAVA_HOME/bin:$PATH"
CACHE=${JVFIO_CACHE:-$HOME/.cache/jvfio}
# The kernel's nvme modules, decompressed for busybox insmod, from the kernel package build.sh unpacked.
MODDIR=$(ls -d "$CACHE"/work/kernel/linux-image-*-powerpc64le_*/lib/modules/* 2>/dev/null | head -1)
[ -n "$MODDIR" ] || { echo "bench-nvme-guest: no unpacked 4K kernel under $CACHE/work/kernel: run make images" >&2; exit 1; }
mkdir -p target/bench/nvme-modules
for m in common/nvme-auth host/nvme-core host/nvme; do
  xz -dc "$MODDIR/kernel/drivers/nvme/$m.ko.xz" >"target/bench/nvme-modules/$(basename $m).ko"
done
echo "[bench-nvme-guest] compiling test classes and resolving the test class path" >&2
mvn -B -q -ntp test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/bench/classpath.txt -Dmdep.includeScope=test >&2
exec java --enable-native-access=ALL-UNNAMED \
    -cp "target/test-classes:target/classes:$(cat target/bench/classpath.txt)" io.jvfio.bench.GuestNvmeBench "$@"
