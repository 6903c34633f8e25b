#!/usr/bin/env bash
# Installs the Debian packages jvfio's build and tests need, idempotently: nothing happens when they
# are all present. As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
pkgs=(maven gcc make
      gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross linux-libc-dev-ppc64el-cross
      qemu-system-ppc qemu-user-static kmod cpio xz-utils busybox-static)
[ "$#" -gt 0 ] && pkgs=("$@")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "[deps] missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "[deps] run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# Another apt (e.g. a background install) holds the lock: wait for it instead of failing.
for _ in $(seq 1 120); do pgrep -x apt-get >/dev/null || break; sleep 5; done
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
echo "[deps] installed: ${missing[*]}" >&2
