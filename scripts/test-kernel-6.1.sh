#!/usr/bin/env bash
# Debian bookworm's 6.1 (before the VFIO SPAPR series, merged for 6.11): one short guest boot proves
# that jvfio says why nothing works instead of failing obscurely. `jvfio info` (exit 3) and the public
# API's first call that cannot work (jvfio demo: Vfio.openGroup) must name the 6.11 requirement, the
# running kernel and what was observed. The 6.1 images are built on first use (jvfio guest).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[test] kernel 6.1: jvfio info and the API's first call explain the missing VFIO SPAPR support"
t0=$SECONDS
out=$(bin/jvfio guest --kernel 6.1 --device edu --timeout 600 \
  --shell-command 'jvfio info; echo "info-rc=$?"; jvfio demo; echo "demo-rc=$?"' 2>&1) || true
fail=0
expect() {
  if grep -qF -- "$1" <<< "$out"; then echo "  ok: $2"; else echo "  MISSING: $2 ('$1')"; fail=1; fi
}
expect "kernel: 6.1." "jvfio info prints the running kernel's release"
expect "info-rc=3" "jvfio info exits 3"
expect "jvfio info: VFIO SPAPR TCE in a pSeries guest needs Linux 6.11 or later" "jvfio info names the requirement"
expect "this kernel is 6.1." "the message names the running kernel"
expect "no IOMMU group appears under /dev/vfio" "jvfio info says what it observed"
expect "jvfio demo: open(/dev/vfio/0): ENOENT (2)" "the API's first failing call names the operation and errno"
expect "needs Linux 6.11 or later (the series that re-enabled it, f431a8cde7f1, was merged for 6.11); this kernel is 6.1." "the API's exception explains it"
expect "demo-rc=3" "jvfio demo exits 3 (unavailable)"
if [ "$fail" -ne 0 ]; then
  echo "$out" | sed 's/^/    /'
  echo "[test] kernel 6.1: FAILED"; exit 1
fi
echo "[test] kernel 6.1: passed in $((SECONDS - t0)) s"
