#!/usr/bin/env bash
# overlay.sh SRC_DIR OUT.cpio
# Packs SRC_DIR into an uncompressed newc cpio whose entries land under /jvfio/ in the guest
# (SRC_DIR/run becomes /jvfio/run). Appended to base.cpio, the kernel unpacks it on top.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[overlay]'
# shellcheck source=common.sh
. "$HERE/common.sh"

[ $# -eq 2 ] || { echo "usage: $0 SRC_DIR OUT.cpio" >&2; exit 2; }
src=$1 out=$2
[ -d "$src" ] || die "not a directory: $src"
ensure_host_tools cpio:cpio
[ -f "$src/run" ] || warn "$src has no 'run' script: the guest will report JVFIO-EXIT: 127"

stage=$(mktemp -d "${TMPDIR:-/tmp}/jvfio-overlay.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# A private copy, so the archive gets the names jvfio/... and run is executable.
mkdir -p "$stage/jvfio"
cp -a "$src/." "$stage/jvfio/"
[ ! -f "$stage/jvfio/run" ] || chmod 755 "$stage/jvfio/run"
chmod 755 "$stage/jvfio"
(cd "$stage" && find jvfio -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
