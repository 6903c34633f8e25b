#!/usr/bin/env bash
# selftest.sh [--no-build] [boot.sh options...]
# End-to-end proof of the image pipeline, with timings:
#   1. build.sh (unless --no-build), timed;
#   2. the qemu-user JDK: java -version and an FFM getpid downcall on the host;
#   3. a guest boot whose /jvfio/run prints java -version, /dev/vfio, the huge pages, and runs
#      VfioApiVersion (open /dev/vfio/vfio + variadic ioctl VFIO_GET_API_VERSION = 0x20003B64).
# Exit 0 when every check passes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[selftest]'
# shellcheck source=common.sh
. "$HERE/common.sh"

BUILD=1
if [ "${1:-}" = --no-build ]; then BUILD=0; shift; fi

if [ "$BUILD" -eq 1 ]; then
  t0=$(now_s)
  "$HERE/build.sh" >/dev/null
  log "build.sh: $(elapsed "$t0")s"
fi
[ -d "$IMAGES_DIR/selftest-classes" ] || die "no $IMAGES_DIR/selftest-classes: run build.sh"

t0=$(now_s)
"$IMAGES_DIR/qemu-user-jdk/bin/java" -version 2>&1 | sed -n "1s/^/$LOG_PREFIX qemu-user: /p" >&2
"$IMAGES_DIR/ppc64le-java" --enable-native-access=ALL-UNNAMED -cp "$IMAGES_DIR/selftest-classes" GetPid | sed "s/^/$LOG_PREFIX qemu-user: /" >&2
log "qemu-user checks: $(elapsed "$t0")s"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jvfio-selftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/overlay"
cp "$IMAGES_DIR/selftest-classes/VfioApiVersion.class" "$TMP/overlay/"
cat > "$TMP/overlay/run" <<'EOF'
$JAVA -version
ls /dev/vfio
cat /proc/meminfo | grep Huge
$JAVA -cp /jvfio VfioApiVersion
EOF

rc=0
"$HERE/boot.sh" --timestamps --timeout 300 "$@" "$TMP/overlay" > "$TMP/out" 2> "$TMP/err" || rc=$?
cat "$TMP/out"
cat "$TMP/err" >&2

fail=0
check() {   # check DESCRIPTION EXTENDED_REGEX
  if grep -qE "$2" "$TMP/out"; then log "ok: $1"; else log "FAILED: $1"; fail=1; fi
}
check "exit status 0 (JVFIO-EXIT: 0)" '\] JVFIO-EXIT: 0$'
check "edu bound to vfio-pci, group 0" '\[init\] bound 0000:00:00\.0 \(1234:11e8\) to vfio-pci, group 0'
check "java -version in the guest" 'OpenJDK 64-Bit Server VM'
check "/dev/vfio/0" '\] 0 +vfio$|\] 0$'
check "16 huge pages" 'HugePages_Total: +16$'
check "VFIO_GET_API_VERSION -> 0" 'VFIO_GET_API_VERSION -> 0$'
check "VFIO_CHECK_EXTENSION(SPAPR_TCE_v2) -> 1" 'VFIO_CHECK_EXTENSION\(7 SPAPR_TCE_v2\) -> 1$'
[ "$rc" -eq 0 ] || { log "boot.sh exited $rc"; fail=1; }

ts_of() { { grep -E "$1" "$TMP/out" || echo '[?]'; } | head -n1 | sed -n 's/^\[ *\([0-9.?]*\)\].*/\1/p'; }
t_init=$(ts_of '\[init\] t=[0-9.]+$') t_run=$(ts_of '\[init\] t=.* run$')
t_java=$(ts_of 'openjdk version') t_main=$(ts_of 'main\(\) entered') t_exit=$(ts_of 'JVFIO-EXIT')
t_total=$(sed -n 's/.*QEMU exit \([0-9.]*\)s.*/\1/p' "$TMP/err")
log "timeline (s after QEMU start): /init $t_init, /jvfio/run $t_run, first Java output $t_java,"
log "  VfioApiVersion main() $t_main, JVFIO-EXIT $t_exit, QEMU exit $t_total"
[ "$fail" -eq 0 ] || die "self-test failed"
log "all checks passed"
