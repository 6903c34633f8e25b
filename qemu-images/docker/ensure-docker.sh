#!/usr/bin/env bash
# Makes a Docker daemon answer on this machine, or explains why it cannot.
#
#   ensure-docker.sh [--no-install]
#
# - `docker info` already works: nothing to do.
# - otherwise, as root: installs Debian's docker.io (and debootstrap, for build-image.sh) when
#   dockerd is missing, then starts `nohup dockerd` (no systemd here) and waits up to
#   JVFIO_DOCKERD_WAIT_S seconds (30) for `docker info`.
# Exit status 0 when the daemon answers; 1 with the reason on stderr otherwise.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[docker]'
# shellcheck source=../common.sh
. "$HERE/../common.sh"

INSTALL=1
[ "${1:-}" = --no-install ] && INSTALL=0
WAIT_S=${JVFIO_DOCKERD_WAIT_S:-30}
STATE=$JVFIO_CACHE/docker
mkdir -p "$STATE"

docker_ok() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && docker_ok; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  die "no Docker daemon answers 'docker info', and starting one needs root (or start dockerd yourself)"
fi
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  [ "$INSTALL" -eq 1 ] || die "dockerd or debootstrap is missing (apt-get install docker.io debootstrap)"
  ensure_host_tools dockerd:docker.io docker:docker.io debootstrap:debootstrap
fi

# A dockerd we started earlier may still be coming up: wait for it instead of starting a second.
if [ -f "$STATE/dockerd.pid" ] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
  log "dockerd (pid $(cat "$STATE/dockerd.pid")) is running; waiting for it"
elif pgrep -x dockerd >/dev/null 2>&1; then
  log "a dockerd is running; waiting for it"
else
  log "starting dockerd (log: $STATE/dockerd.log)"
  nohup dockerd >"$STATE/dockerd.log" 2>&1 </dev/null &
  echo $! >"$STATE/dockerd.pid"
  disown || true
fi
t0=$(now_s)
for _ in $(seq 1 $((WAIT_S * 4))); do
  if docker_ok; then
    log "docker daemon answers after $(elapsed "$t0")s ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 0.25
done
tail -n 20 "$STATE/dockerd.log" >&2 2>/dev/null || true
die "dockerd did not answer 'docker info' within ${WAIT_S}s (log: $STATE/dockerd.log)"
