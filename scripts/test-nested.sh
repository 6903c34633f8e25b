#!/usr/bin/env bash
# The RFC series' own test, in software: L0 (the host's QEMU, TCG, nested HV) -> L1 (64K-page
# pSeries guest with KVM and Debian's QEMU) -> L2 (4K-page guest, the edu passed through with VFIO
# SPAPR TCE) running jvfio's in-guest tests. `make test-nested` calls this.
#
#   scripts/test-nested.sh [options]
#
#   --l1-kernel 64k|4k   L1's kernel (default 64k). 4k is the deliberately broken L1: it must fail
#                        with "QEMU in L1 failed to create a SPAPR window: ..." (with QEMU's default
#                        1 GiB L2 window unless --dma-win-size says otherwise; <= 512 MiB works)
#   --dma-win-size B     L2's default DMA window (default 0x1000000 = 16 MiB; see docs/nested-kvm.md)
#   --select LIST        packages/classes to run in L2 (default: io.jvfio.guest.dma, io.jvfio.nested.l2 and
#                        the contract suite but WindowContractTest; see NestedKvmTest)
#   --cost-model         also measure window teardown costs in L2 (NestedCostTest)
#   --failure-paths      also prove the failure paths (4K L1; L0 without nested HV): two short boots
#   --timeout S          bound on the L0 run (default 300); L1 stops L2 60 s before it
#   --verbose            echo the whole L0 console (L1 and [L2] lines) live
#   --no-build           skip qemu-images/nested/build-l1.sh (use the images as they are)
#
# Prints the L2 tests passed/failed/skipped, the SPAPR operation sequence QEMU issued in L1 and the
# time of each layer; writes target/nested-reports/nested.xml (JUnit XML of the L2 results),
# summary.txt and verdict.txt. Exit status 0 only if everything passed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { printf '[test-nested] %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

L1K=64k DMA_WIN='' SELECT='' COST=false FAILURE_PATHS=false TIMEOUT=300 VERBOSE=false BUILD=1
while [ $# -gt 0 ]; do
  case $1 in
    --l1-kernel) L1K=$2; shift 2 ;;
    --dma-win-size) DMA_WIN=$2; shift 2 ;;
    --select) SELECT=$2; shift 2 ;;
    --cost-model) COST=true; shift ;;
    --failure-paths) FAILURE_PATHS=true; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --verbose) VERBOSE=true; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown option $1 (try --help)"; exit 2 ;;
  esac
done
case $L1K in 64k|4k) ;; *) log "--l1-kernel: 64k or 4k"; exit 2 ;; esac
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 60 ] || { log "--timeout: seconds, at least 60"; exit 2; }

T0=$(now)
JAVA_HOME=$(scripts/find-jdk.sh)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
scripts/ensure-deps.sh

# 1. Images (cached: only changed inputs rebuild)
T_BUILD=0.0
if [ "$BUILD" -eq 1 ]; then
  t=$(now)
  KERNELS=$L1K; [ "$FAILURE_PATHS" = true ] && KERNELS=both
  qemu-images/nested/build-l1.sh --l1-kernel "$KERNELS" >/dev/null
  T_BUILD=$(since "$t")
  log "images ready in ${T_BUILD}s"
fi

# 2. Compile and run NestedKvmTest (surefire; the L2 payload is the test classpath)
REPORTS=target/nested-reports
rm -rf "$REPORTS"
PROPS=(-Djvfio.nested=required -Djvfio.nested.quiet=true "-Djvfio.nested.l1Kernel=$L1K" "-Djvfio.nested.timeout=$TIMEOUT"
       "-Djvfio.nested.l2Timeout=$((TIMEOUT - 60))" "-Djvfio.nested.cost=$COST"
       "-Djvfio.nested.failurePaths=$FAILURE_PATHS"
       "-Djvfio.guest.echo=$VERBOSE")
[ -z "$DMA_WIN" ] || PROPS+=("-Djvfio.nested.dmaWinSize=$DMA_WIN")
[ -z "$SELECT" ] || PROPS+=("-Djvfio.nested.select=$SELECT")
log "L0 -> L1 ($L1K) -> L2: mvn test -Dtest=NestedKvmTest ${PROPS[*]}"
t=$(now)
MVN_RC=0
# shellcheck disable=SC2086  # MVN_FLAGS is a word list
mvn ${MVN_FLAGS:--B -q -ntp} -Dtest=io.jvfio.nested.NestedKvmTest -Dsurefire.groups=nested \
  -Dsurefire.excludedGroups=bench -Dsurefire.failIfNoSpecifiedTests=false "${PROPS[@]}" test || MVN_RC=$?
T_MVN=$(since "$t")

# 3. Report
echo
echo "================ nested KVM (L0 TCG -> L1 $L1K -> L2) ================"
if [ -f "$REPORTS/summary.txt" ]; then
  cat "$REPORTS/summary.txt"
else
  echo "(no report: the nested run did not happen; see the Maven output above)"
fi
VERDICT=$(cat "$REPORTS/verdict.txt" 2>/dev/null || echo "NESTED-FAIL: no verdict (Maven exit $MVN_RC)")
T_TOTAL=$(since "$T0")
echo "---------------------------------------------------------------------"
echo "time: images ${T_BUILD}s, Maven (compile + CDS + L0 run) ${T_MVN}s, total ${T_TOTAL}s"
echo "JUnit XML: $REPORTS/nested.xml"
echo "verdict: $VERDICT"
if [ "$MVN_RC" -ne 0 ] || [ "$VERDICT" != OK ]; then
  [ "$L1K" = 4k ] && echo "(the 4K-page L1 is the deliberately broken setup: failing with that reason is the expected proof)"
  exit 1
fi
exit 0
