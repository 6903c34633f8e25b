#!/usr/bin/env bash
# The downstream path, end to end: builds and tests examples/driver-ci (its own pom, its own driver)
# against the jvfio just built. `make test-downstream` calls this (and `make test` calls that).
#
# jvfio is installed into the local Maven repository under a version only this script uses
# (0.0.0-driver-ci), so an io.jvfio:jvfio snapshot there is never overwritten. The example's
# emulator tests run on the host, its @PseriesGuest class in one guest boot (-Djvfio.guest=required:
# a guest that cannot boot fails instead of skipping). Exit status: Maven's.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VERSION=0.0.0-driver-ci
OUT=target/driver-ci
MVN_FLAGS=${MVN_FLAGS:--B -q -ntp}
log() { printf '[test-downstream] %s\n' "$*" >&2; }

[ -f target/jvfio.jar ] || { log "target/jvfio.jar is missing: run make build"; exit 1; }
mkdir -p "$OUT"
# the project's pom with only its own <version> changed (the first one in the file)
sed "0,/<version>0\.1\.0-SNAPSHOT<\/version>/s//<version>$VERSION<\/version>/" pom.xml > "$OUT/jvfio.pom"
grep -q "<version>$VERSION</version>" "$OUT/jvfio.pom" || { log "could not set the version in $OUT/jvfio.pom"; exit 1; }
log "installing target/jvfio.jar as io.jvfio:jvfio:$VERSION"
# shellcheck disable=SC2086
mvn $MVN_FLAGS install:install-file -Dfile=target/jvfio.jar -DpomFile="$OUT/jvfio.pom"
log "examples/driver-ci: mvn test (the emulator, then one pSeries guest boot)"
t0=$(date +%s)
# shellcheck disable=SC2086
mvn $MVN_FLAGS -f examples/driver-ci/pom.xml -Djvfio.version="$VERSION" -Djvfio.guest=required test
log "examples/driver-ci passed in $(( $(date +%s) - t0 )) s"
