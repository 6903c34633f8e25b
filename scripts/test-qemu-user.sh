#!/usr/bin/env bash
# The ABI and FFM part of the unit suite on a ppc64le JVM: Maven surefire forks the Debian
# openjdk-25 (ppc64el) under qemu-user (-Djvm=<the wrapper made by `make images`>), so struct
# layouts, ioctl request numbers and the FFM downcalls (errno capture, variadic ioctl) are checked
# with the target's real ABI, not only x86-64's. Reports: target/qemu-user-reports/. Fails when any
# test fails or none ran.
#
#   scripts/test-qemu-user.sh [extra mvn args...]
#
# Environment: JVFIO_CACHE (the images cache), JVFIO_QEMU_USER_JAVA (another wrapper),
# JVFIO_QEMU_USER_TESTS (surefire -Dtest patterns; default: the io.jvfio.abi tests and
# KernelBackendErrorPathsTest), JVFIO_QEMU_USER_TIMEOUT (seconds, 280), MVN_FLAGS.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { printf '[qemu-user] %s\n' "$*" >&2; }

CACHE=${JVFIO_CACHE:-${HOME:-/root}/.cache/jvfio}
WRAPPER=${JVFIO_QEMU_USER_JAVA:-$CACHE/images/qemu-user-jdk/bin/java}
if [ ! -x "$WRAPPER" ]; then
  log "ERROR: no ppc64le JVM wrapper at $WRAPPER: run make images (or set JVFIO_QEMU_USER_JAVA)"
  exit 1
fi
command -v qemu-ppc64le-static >/dev/null 2>&1 || { log "ERROR: qemu-ppc64le-static missing (apt-get install qemu-user-static)"; exit 1; }
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then
  JAVA_HOME=$(scripts/find-jdk.sh)
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

# qemu-user itself cannot run three error-path checks: it answers every ioctl number it does not
# know (all of VFIO's) with ENOSYS before the kernel sees it, and its mmap emulation refuses
# MAP_HUGETLB with EINVAL. They run on the x86-64 host and in the guest instead.
QEMU_USER_LIMITS='!KernelBackendErrorPathsTest#everyIoctl_onBadFd_EBADF+vfioIoctl_onAPipe_ENOTTY_errnoExact+hugetlb_withoutReservedPages_ENOMEM'
TESTS=${JVFIO_QEMU_USER_TESTS:-"io/jvfio/abi/**/*Test.java,io/jvfio/backend/kernel/KernelBackendErrorPathsTest.java,$QEMU_USER_LIMITS"}
REPORTS=target/qemu-user-reports
TIMEOUT_S=${JVFIO_QEMU_USER_TIMEOUT:-280}
rm -rf "$REPORTS"
# surefire's reportsDirectory has no user property in this pom: the host reports are set aside
# while this run writes target/surefire-reports, which then becomes $REPORTS.
SF=target/surefire-reports
STASH=target/.surefire-reports.host
restore() {
  if [ -d "$SF" ] && [ ! -d "$REPORTS" ]; then mv "$SF" "$REPORTS"; fi
  rm -rf "$SF"
  if [ -d "$STASH" ]; then mv "$STASH" "$SF"; fi
}
rm -rf "$STASH"
if [ -d "$SF" ]; then mv "$SF" "$STASH"; fi
trap restore EXIT

t0=$EPOCHREALTIME
log "$("$WRAPPER" -version 2>&1 | head -n1) via $WRAPPER"
log "tests: $TESTS (timeout ${TIMEOUT_S}s)"
# C1 only: under qemu-user C2's compile time costs more than it returns in a short run. The pom's
# argLine cannot be extended from the command line, so the forked JVM is a small wrapper (with the
# release file surefire reads the Java version from) that adds the option.
JVM_HOME=$ROOT/target/qemu-user-jvm
mkdir -p "$JVM_HOME/bin"
wrapper_home=$(cd "$(dirname "$(readlink -f "$WRAPPER")")/.." && pwd)
[ -f "$wrapper_home/release" ] && cp "$wrapper_home/release" "$JVM_HOME/release"
cat > "$JVM_HOME/bin/java" <<WRAP
#!/bin/sh
exec "$WRAPPER" -XX:TieredStopAtLevel=1 "\$@"
WRAP
chmod 755 "$JVM_HOME/bin/java"
set +e
timeout --kill-after=10 "$TIMEOUT_S" mvn ${MVN_FLAGS:--B -q -ntp} \
  -Djvm="$JVM_HOME/bin/java" \
  -Dtest="$TESTS" -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsurefire.reportsDirectory="$ROOT/$REPORTS" \
  -Dsurefire.excludedGroups=guest,bench \
  -Dsurefire.timeout="$TIMEOUT_S" \
  "$@" test
rc=$?
set -e
restore
trap - EXIT
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  log "FAILED: did not finish within ${TIMEOUT_S}s"
  exit 1
fi

# Count what ran, from the reports (the exit status alone cannot tell "none ran" from "all passed").
read -r tests failures errors skipped < <(python3 - "$REPORTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
t = [0, 0, 0, 0]
for f in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    r = ET.parse(f).getroot()
    for i, k in enumerate(("tests", "failures", "errors", "skipped")):
        t[i] += int(r.get(k, 0))
print(*t)
PY
)
passed=$((tests - failures - errors - skipped))
log "ppc64le JVM: $passed passed, $((failures + errors)) failed, $skipped skipped in ${secs}s (reports: $REPORTS)"
if [ "$rc" -ne 0 ] || [ $((failures + errors)) -ne 0 ]; then
  log "FAILED (mvn exit $rc)"
  exit 1
fi
if [ "$tests" -eq 0 ]; then
  log "FAILED: no test ran (patterns: $TESTS)"
  exit 1
fi
