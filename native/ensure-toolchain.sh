#!/bin/sh
# ensure-toolchain.sh: make sure the Debian packages that build jvfio's native parts are installed.
#
# Needed: a host C compiler and headers (abi_dump, benchmarks), the ppc64le cross compiler with its
# libc and kernel headers (abi_dump for ppc64le), and qemu-user to run the ppc64le dump.
#
# Idempotent: does nothing when everything is present; runs `apt-get update` only if something is
# missing. As root it installs; otherwise it prints the exact command and exits 1.
#   --check   only report, never install (exit 1 if something is missing)
set -eu

PACKAGES="gcc make libc6-dev linux-libc-dev gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross linux-libc-dev-ppc64el-cross qemu-user-static"

check_only=0
case "${1:-}" in
	--check) check_only=1 ;;
	"") ;;
	*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "ensure-toolchain: not a Debian-based system; install the equivalents of: $PACKAGES" >&2
	exit 1
fi

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ "$status" != "installed" ]; then
		missing="$missing $p"
	fi
done
missing=${missing# }

if [ -z "$missing" ]; then
	echo "ensure-toolchain: all present ($PACKAGES)"
	exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
echo "ensure-toolchain: missing: $missing"
if [ "$check_only" = 1 ]; then
	echo "ensure-toolchain: to install, run as root: $cmd" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "ensure-toolchain: not root; run: sudo sh -c '$cmd'" >&2
	exit 1
fi

# Wait for a concurrent apt/dpkg (e.g. unattended-upgrades) instead of failing on its lock.
lock="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
apt-get $lock update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get $lock install -y --no-install-recommends $missing
echo "ensure-toolchain: installed: $missing"
