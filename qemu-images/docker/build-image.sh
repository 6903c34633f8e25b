#!/usr/bin/env bash
# Builds (once) the local Docker image that runs QEMU for jvfio's Testcontainers launcher, from
# Debian packages only: debootstrap --variant=minbase bookworm -> `docker import` (the base), then
# this directory's Dockerfile FROM it (apt-get install qemu-system-ppc). No registry is used.
#
#   build-image.sh [--print-tag] [--force]
#
# The tag is a content hash of this directory's files and the mirror, so an unchanged setup
# reuses the image and a changed Dockerfile builds a new one. The image name is printed on the
# last line of stdout (`--print-tag` prints it without building).
# Environment: JVFIO_CACHE, JVFIO_DEBIAN_MIRROR (http://deb.debian.org/debian),
# JVFIO_DEBIAN_SECURITY_MIRROR (http://deb.debian.org/debian-security).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[docker-image]'
# shellcheck source=../common.sh
. "$HERE/../common.sh"

PRINT_ONLY=0 FORCE=0
for a in "$@"; do
  case $a in
    --print-tag) PRINT_ONLY=1 ;;
    --force) FORCE=1 ;;
    *) die "unknown option '$a'" ;;
  esac
done

MIRROR=${JVFIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SEC_MIRROR=${JVFIO_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
BASE_KEY=$( { echo "debootstrap minbase $SUITE $MIRROR"; cat "$HERE/build-image.sh"; } | sha256sum | cut -c1-12)
KEY=$( { echo "$BASE_KEY $MIRROR $SEC_MIRROR"; cat "$HERE/Dockerfile" "$HERE/apt.conf"; } | sha256sum | cut -c1-12)
BASE_IMAGE=jvfio-debian-base:$BASE_KEY
IMAGE=jvfio-qemu:$KEY
if [ "$PRINT_ONLY" -eq 1 ]; then echo "$IMAGE"; exit 0; fi

"$HERE/ensure-docker.sh" >&2
have() { docker image inspect "$1" >/dev/null 2>&1; }

if [ "$FORCE" -eq 0 ] && have "$IMAGE"; then
  log "up to date: $IMAGE"
  echo "$IMAGE"
  exit 0
fi

STATE=$JVFIO_CACHE/docker
mkdir -p "$STATE"
exec 8>"$STATE/.build.lock"
if ! flock -n 8; then log "waiting for another build-image.sh ..."; flock 8; fi
if [ "$FORCE" -eq 0 ] && have "$IMAGE"; then echo "$IMAGE"; exit 0; fi

T0=$(now_s)
if [ "$FORCE" -eq 1 ] || ! have "$BASE_IMAGE"; then
  command -v debootstrap >/dev/null 2>&1 || ensure_host_tools debootstrap:debootstrap
  ROOT=$STATE/rootfs-$BASE_KEY
  rm -rf "$ROOT"
  t0=$(now_s)
  log "debootstrap --variant=minbase $SUITE ($MIRROR) ..."
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$STATE/debootstrap.log" >&2; die "debootstrap failed (log: $STATE/debootstrap.log)"; }
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
  log "debootstrap: $(du -sh "$ROOT" | cut -f1) in $(elapsed "$t0")s; docker import -> $BASE_IMAGE"
  tar --numeric-owner -C "$ROOT" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$ROOT"
fi

t0=$(now_s)
log "docker build $IMAGE (FROM $BASE_IMAGE: apt-get install qemu-system-ppc) ..."
# Host networking: the build only needs the Debian mirror, and this avoids depending on the
# bridge's NAT.
docker build --network host --build-arg "BASE=$BASE_IMAGE" --build-arg "MIRROR=$MIRROR" \
  --build-arg "SECURITY_MIRROR=$SEC_MIRROR" --label "jvfio.harness.key=$KEY" \
  -t "$IMAGE" "$HERE" >"$STATE/docker-build.log" 2>&1 \
  || { tail -n 30 "$STATE/docker-build.log" >&2; die "docker build failed (log: $STATE/docker-build.log)"; }
log "docker build: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}') in $(elapsed "$t0")s"
# Older jvfio-qemu / base tags are dead weight.
docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^jvfio-(qemu|debian-base):' \
  | grep -vxF -e "$IMAGE" -e "$BASE_IMAGE" | xargs -r docker rmi >/dev/null 2>&1 || true
log "done in $(elapsed "$T0")s: $IMAGE"
echo "$IMAGE"
