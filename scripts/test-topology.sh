#!/usr/bin/env bash
# Several PHBs and a multi-function device in the guest: GuestTopologyTest boots the topology machine
# (edu on PHB 0 and PHB 1, a three-function edu on PHB 2, a two-function NVMe on PHB 3) once per kernel,
# 6.12 and the newest, and runs TopologyContractTest's and NvmeMultiFunctionTest's kernel rows in it. Prints each kernel's counts and the wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[test] topologies: two PHBs in one container, a group moved, a multi-function edu and NVMe (6.12 and newest)"
export JAVA_HOME="$(scripts/find-jdk.sh)"
export PATH="$JAVA_HOME/bin:$PATH"
qemu-images/build.sh --kernel newest
t0=$SECONDS
for k in 6.12 newest; do
  report=target/surefire-reports/TEST-io.jvfio.guest.GuestTopologyTest.xml
  rm -f "$report"
  rc=0
  mvn ${MVN_FLAGS:--B -q -ntp} -Djvfio.guest=required -Djvfio.guest.kernel=$k -Djvfio.guest.launchers=host \
    -Dsurefire.excludedGroups=bench -Dsurefire.groups=topology -Dtest=GuestTopologyTest \
    -Dsurefire.failIfNoSpecifiedTests=false test || rc=$?
  mkdir -p target/topology-reports
  [ -f "$report" ] && cp "$report" target/topology-reports/guest-topology-$k.xml
  python3 - target/topology-reports/guest-topology-$k.xml "$k" <<'PY'
import os, sys, xml.etree.ElementTree as ET
t = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
if os.path.exists(sys.argv[1]):
    r = ET.parse(sys.argv[1]).getroot()
    for key in t:
        t[key] += int(r.get(key, 0))
print(f"[test] topology on kernel {sys.argv[2]}: {t['tests'] - t['failures'] - t['errors'] - t['skipped']} passed, "
      f"{t['failures'] + t['errors']} failed, {t['skipped']} skipped")
PY
  [ "$rc" -eq 0 ] || { echo "[test] topology on kernel $k: FAILED"; exit "$rc"; }
done
echo "[test] topologies: passed in $((SECONDS - t0)) s"
