#!/usr/bin/env bash
# Sums the surefire reports of the last `make test` into one closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
guest = dict(tot)
for f in (glob.glob("target/surefire-reports*/TEST-*.xml") + glob.glob("target/qemu-user-reports/TEST-*.xml")
          + glob.glob("examples/driver-ci/target/surefire-reports/TEST-*.xml")):
    r = ET.parse(f).getroot()
    for k in tot:
        tot[k] += int(r.get(k, 0))
for f in glob.glob("target/guest-reports/*.xml"):
    r = ET.parse(f).getroot()
    for k in guest:
        guest[k] += int(r.get(k, 0))
if guest["tests"]:
    g = guest
    print(f"in-guest tests: {g['tests'] - g['failures'] - g['errors'] - g['skipped']} passed, "
          f"{g['failures'] + g['errors']} failed, {g['skipped']} skipped")
t = tot
print(f"all tests: {t['tests'] - t['failures'] - t['errors'] - t['skipped']} passed, "
      f"{t['failures'] + t['errors']} failed, {t['skipped']} skipped")
PY
