#!/usr/bin/env bash
# Builds the jvfio pSeries guest images (ppc64el) into ${JVFIO_CACHE:-$HOME/.cache/jvfio}/images/.
#
#   build.sh [--kernel 6.12|6.1|newest] [--with-64k] [--refresh] [--offline] [--force]
#
#   --kernel    the guest kernel: 6.12 (default, bookworm-backports; outputs in images/), 6.1
#               (bookworm, before the VFIO SPAPR series; images/6.1/) or newest (forky, resolved
#               now and recorded in versions.lock; images/newest/). The JDK, sysroot and runtime
#               are shared by all kernels.
#   --with-64k  also build the 64 KiB-page kernel flavour (vmlinux-64k, base-64k.cpio)
#   --refresh   re-read the Debian package indexes now (default: when older than
#               JVFIO_APT_MAX_AGE_H hours, 24 by default)
#   --offline   never touch the network; use the indexes and .debs already in the cache
#   --force     rebuild even if the stamps say the outputs are current
#
# Environment: JVFIO_CACHE (cache root), JVFIO_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# JVFIO_HOST_JDK (an x86-64 JDK 25 whose jlink/javac to use), JVFIO_APT_MAX_AGE_H,
# JVFIO_JDK_SUITES (default "forky sid"), JVFIO_JLINK_COMPRESS (default zip-6).
# See README.md for the layout of the outputs and the guest /init contract.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[images]'
# shellcheck source=common.sh
. "$HERE/common.sh"

WITH_64K=0 REFRESH=0 OFFLINE=0 FORCE=0 KERNEL=6.12
ORIG_ARGS=("$@")
while [ $# -gt 0 ]; do
  arg=$1; shift
  case $arg in
    --kernel) [ $# -gt 0 ] || die "--kernel needs 6.12, 6.1 or newest"; KERNEL=$1; shift ;;
    --kernel=*) KERNEL=${arg#--kernel=} ;;
    --with-64k) WITH_64K=1 ;;
    --refresh) REFRESH=1 ;;
    --offline) OFFLINE=1 ;;
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$arg' (try --help)" ;;
  esac
done

T_START=$(now_s)

# ----------------------------------------------------------------------------------------------
# Configuration
MIRROR=${JVFIO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=${JVFIO_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
APT_MAX_AGE_H=${JVFIO_APT_MAX_AGE_H:-24}
# Per kernel choice: the suite, the ABI-named image packages to pick the newest of, and where the
# kernel and its initramfs go (6.12's stay at the top of images/ for existing users).
case $KERNEL in
  6.12) KERNEL_SUITE=bookworm-backports KERNEL_NAMES='^linux-image-6\.12\.[0-9]+[^-]*-powerpc64le$' KSUB='' ;;
  6.1) KERNEL_SUITE=bookworm KERNEL_NAMES='^linux-image-6\.1\.0-[0-9]+-powerpc64le$' KSUB=6.1 ;;
  newest) KERNEL_SUITE=forky KERNEL_NAMES='^linux-image-[0-9][^-]*-powerpc64le$' KSUB=newest ;;
  *) die "unknown --kernel '$KERNEL' (one of 6.12, 6.1, newest)" ;;
esac
BUSYBOX_SUITE=bookworm
JDK_FEATURE=25
read -r -a JDK_SUITES <<< "${JVFIO_JDK_SUITES:-forky sid}"   # the first that has openjdk-25 wins
RUNTIME_LIBS=(libc6 libgcc-s1 libstdc++6 zlib1g)
# Guest runtime modules. java.management: org.junit.platform.commons requires it;
# java.xml: JUnit's XML reports; java.logging: JUL (JUnit, picocli); jdk.unsupported: sun.misc.Unsafe users.
JLINK_MODULES=java.base,java.logging,java.management,java.xml,jdk.unsupported
# Baked into the guest runtime (jlink --add-options, before the command line's options):
# C1 only is the best startup/throughput balance under TCG (a later -XX:TieredStopAtLevel=4
# overrides it); FFM needs native access, and the CDS archive is dumped with the same setting
# (a mismatch would disable CDS's optimized module handling).
JLINK_ADD_OPTIONS='-XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED'
JLINK_COMPRESS=${JVFIO_JLINK_COMPRESS:-zip-6}
# Modules the guest /init loads (their dependencies are added from modules.dep).
VFIO_MODULES=(vfio vfio_iommu_spapr_tce vfio-pci-core vfio-pci)
# Shipped decompressed in the 64k image only, not loaded by /init (for a nested-KVM L1).
EXTRA_MODULES_64K=(kvm kvm-hv)
# DLPAR (PCI hot-plug), started by /init only when the kernel command line has jvfio.dlpar: QEMU's
# device_add raises an RTAS hot-plug event, the kernel hands PCI events to userspace, rtas_errd
# (ppc64-diag) runs drmgr (powerpc-ibm-utils), which configures the slot through rpadlpar_io/rpaphp.
# From the JDK's suite, so they link against the same libc as the runtime.
DLPAR_PKGS=(powerpc-ibm-utils ppc64-diag librtas2 librtasevent2 libnuma1 libservicelog-1.1-1 libsqlite3-0)
DLPAR_TOOLS=(drmgr lsslot rtas_errd)
DLPAR_MODULES=(rpadlpar_io)

APT_DIR=$JVFIO_CACHE/apt
DEBS_DIR=$JVFIO_CACHE/debs
WORK=$JVFIO_CACHE/work
OUT=$IMAGES_DIR
KOUT=$OUT${KSUB:+/$KSUB}
SYSROOT=$OUT/sysroot
GUEST_JDK=$OUT/jdk-guest
QU_JDK=$OUT/qemu-user-jdk

ensure_host_tools apt-get:apt dpkg-deb:dpkg cpio:cpio depmod:kmod xz:xz-utils \
  qemu-ppc64le-static:qemu-user-static qemu-system-ppc64:qemu-system-ppc readelf:binutils \
  sha256sum:coreutils realpath:coreutils flock:util-linux
mkdir -p "$APT_DIR" "$DEBS_DIR" "$WORK" "$OUT" "$KOUT"

lock_cache

# ----------------------------------------------------------------------------------------------
# Private apt: own state, lists and cache under $APT_DIR; the system's apt state is never touched.
# Host apt.conf.d settings (proxies, Check-Valid-Until) still apply; the essentials are repeated.
# The binary caches are re-enabled (Docker images disable them, which makes every apt-cache
# call re-parse all indexes).
private_apt_opts "$APT_DIR"
mkdir -p "$APT_DIR"/{state,lists/partial,sources.list.d,preferences.d,cache,archives/partial}

write_sources() {
  local suites=(bookworm bookworm-backports forky) s
  [ -e "$APT_DIR/use-sid" ] && suites+=(sid)
  for s in "${suites[@]}"; do
    echo "deb [arch=ppc64el signed-by=$KEYRING] $MIRROR $s main"
  done > "$APT_DIR/sources.list.new"
  if ! cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list" 2>/dev/null; then
    mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
    rm -f "$APT_DIR/lists/.updated"   # suite set changed: indexes must be re-read
  else
    rm -f "$APT_DIR/sources.list.new"
  fi
}

apt_update() {
  local t0; t0=$(now_s)
  log "apt-get update (ppc64el: $(awk '{print $5}' "$APT_DIR/sources.list" | paste -sd' '))"
  if retry "apt-get update" "$WORK/last-apt.log" apt-get "${APT_OPTS[@]}" update \
      && ! grep -qE '^(W|E): (Failed|GPG|The repository|Some index)' "$WORK/last-apt.log"; then
    touch "$APT_DIR/lists/.updated"
    log "apt-get update: done in $(elapsed "$t0")s"
  elif ls "$APT_DIR"/lists/*_Packages* >/dev/null 2>&1; then
    grep -E '^(W|E):' "$WORK/last-apt.log" | head -5 >&2 || true
    warn "apt-get update failed; resolving against the package indexes already in $APT_DIR/lists"
  else
    die "apt-get update of the ppc64el indexes failed and none are cached (mirror $MIRROR)"
  fi
}

maybe_update() {
  write_sources
  if [ "$OFFLINE" -eq 1 ]; then
    ls "$APT_DIR"/lists/*_Packages* >/dev/null 2>&1 || die "--offline but no package indexes in $APT_DIR/lists"
    return 0
  fi
  if [ "$REFRESH" -eq 1 ] || [ ! -e "$APT_DIR/lists/.updated" ] \
     || [ -n "$(find "$APT_DIR/lists/.updated" -mmin +$((APT_MAX_AGE_H * 60)) 2>/dev/null)" ]; then
    apt_update
  else
    log "package indexes are recent (< ${APT_MAX_AGE_H}h; --refresh to re-read)"
  fi
}

# best_version SUITE PKG: newest version of PKG in SUITE, or nothing.
best_version() {
  local suite=$1 pkg=$2 best='' ver
  while read -r ver; do
    if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best"; then best=$ver; fi
  done < <(apt-cache "${APT_OPTS[@]}" madison "$pkg" 2>/dev/null | awk -F'|' -v s="$suite" -v p="$pkg" '
    { gsub(/^ +| +$/, "", $1); gsub(/^ +| +$/, "", $2);
      n = split($3, f, " "); for (i = 1; i <= n; i++) if ($1 == p && f[i] == s "/main") print $2 }')
  printf '%s' "$best"
}

# Resolved packages: RES_SUITE[pkg], RES_VER[pkg], RES_SHA[pkg], RES_FILE[pkg]
declare -A RES_SUITE RES_VER RES_SHA RES_FILE
resolve() {   # resolve PKG SUITE (dies if absent)
  local pkg=$1 suite=$2 ver
  ver=$(best_version "$suite" "$pkg")
  [ -n "$ver" ] || die "package $pkg not found in suite $suite (ppc64el, $MIRROR)"
  RES_SUITE[$pkg]=$suite; RES_VER[$pkg]=$ver
}
fill_metadata() {   # SHA256 and pool file name of every resolved package, one apt-cache call
  local args=() pkg line key val cur=''
  for pkg in "${!RES_VER[@]}"; do args+=("$pkg=${RES_VER[$pkg]}"); done
  while IFS= read -r line; do
    key=${line%%: *}; val=${line#*: }
    case $key in
      Package) cur=$val ;;
      Filename) [ -n "${RES_FILE[$cur]:-}" ] || RES_FILE[$cur]=$val ;;
      SHA256) [ -n "${RES_SHA[$cur]:-}" ] || RES_SHA[$cur]=$val ;;
    esac
  done < <(apt-cache "${APT_OPTS[@]}" show "${args[@]}" 2>/dev/null)
  for pkg in "${!RES_VER[@]}"; do
    [ -n "${RES_SHA[$pkg]:-}" ] && [ -n "${RES_FILE[$pkg]:-}" ] \
      || die "no metadata for $pkg ${RES_VER[$pkg]} (${RES_SUITE[$pkg]})"
  done
}
lock_line() { printf '%s %s %s %s\n' "$1" "${RES_SUITE[$1]}" "${RES_VER[$1]}" "${RES_SHA[$1]}"; }

# deb_path PKG: the cached .deb of the resolved version (after fetch).
deb_path() { printf '%s/%s' "$DEBS_DIR" "$(basename "${RES_FILE[$1]}")"; }

fetch() {   # fetch PKG: download the resolved version into $DEBS_DIR unless already there
  local pkg=$1 dest; dest=$(deb_path "$pkg")
  if sha256_is "$dest" "${RES_SHA[$pkg]}"; then
    log "cached: $pkg ${RES_VER[$pkg]} (${RES_SUITE[$pkg]})"
    return 0
  fi
  [ "$OFFLINE" -eq 0 ] || die "--offline: $pkg ${RES_VER[$pkg]} (${RES_SUITE[$pkg]}) is not in $DEBS_DIR"
  local t0 tmp; t0=$(now_s); tmp=$(mktemp -d "$WORK/dl.XXXXXX")
  log "download: $pkg ${RES_VER[$pkg]} (${RES_SUITE[$pkg]})"
  if ! retry "download of $pkg (${RES_SUITE[$pkg]})" "$WORK/last-apt.log" \
       bash -c 'cd "$1" && shift && exec apt-get "$@"' _ "$tmp" "${APT_OPTS[@]}" download "$pkg=${RES_VER[$pkg]}"; then
    rm -rf "$tmp"
    if [ "$REFRESH" -eq 0 ]; then   # the indexes may be stale (the version left the mirror)
      warn "download of $pkg ${RES_VER[$pkg]} from suite ${RES_SUITE[$pkg]} failed; re-reading the indexes (--refresh)"
      exec "$HERE/build.sh" --refresh "${ORIG_ARGS[@]+"${ORIG_ARGS[@]}"}"
    fi
    die "download of $pkg ${RES_VER[$pkg]} from suite ${RES_SUITE[$pkg]} failed after 3 tries"
  fi
  local got; got=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n1)
  [ -n "$got" ] && sha256_is "$got" "${RES_SHA[$pkg]}" \
    || { rm -rf "$tmp"; die "$pkg ${RES_VER[$pkg]} from suite ${RES_SUITE[$pkg]}: checksum mismatch"; }
  mv "$got" "$dest"; rm -rf "$tmp"
  log "download: $pkg: $(du -h "$dest" | cut -f1) in $(elapsed "$t0")s"
}

# ----------------------------------------------------------------------------------------------
# 1. Resolve
maybe_update

T0=$(now_s)
# Kernel: the newest ABI-named linux-image-*-powerpc64le of the choice in its suite.
KPKG='' KVER=''
while read -r cand; do
  v=$(best_version "$KERNEL_SUITE" "$cand")
  [ -n "$v" ] || continue
  if [ -z "$KVER" ] || dpkg --compare-versions "$v" gt "$KVER"; then KPKG=$cand KVER=$v; fi
done < <(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- 2>/dev/null | grep -E "$KERNEL_NAMES" | sort -u)
[ -n "$KPKG" ] || die "no kernel package matching $KERNEL_NAMES in suite $KERNEL_SUITE (ppc64el)"
# kernel_pkgs IMAGE_PKG: the packages holding the kernel and its modules. Since forky the image
# package is a meta package over linux-binary-* (usr/lib/modules/V/vmlinuz) and linux-modules-*.
kernel_pkgs() {
  local abi=${1#linux-image-}
  if [ -n "$(best_version "$KERNEL_SUITE" "linux-binary-$abi")" ]; then
    echo "linux-binary-$abi linux-modules-$abi"
  else
    echo "$1"
  fi
}
read -r -a KPKGS <<< "$(kernel_pkgs "$KPKG")"
KPKGS64=("${KPKGS[@]/%/-64k}")
for p in "${KPKGS[@]}"; do resolve "$p" "$KERNEL_SUITE"; done
[ "$WITH_64K" -eq 0 ] || for p in "${KPKGS64[@]}"; do resolve "$p" "$KERNEL_SUITE"; done
resolve busybox-static "$BUSYBOX_SUITE"

JDK_SUITE=''
for s in "${JDK_SUITES[@]}"; do
  if [ "$s" = sid ] && [ ! -e "$APT_DIR/use-sid" ]; then
    [ "$OFFLINE" -eq 0 ] || break
    log "openjdk-$JDK_FEATURE not found in the suites before sid: adding sid to the private sources"
    touch "$APT_DIR/use-sid"; write_sources; apt_update
  fi
  if [ -n "$(best_version "$s" "openjdk-$JDK_FEATURE-jdk-headless")" ]; then JDK_SUITE=$s; break; fi
done
[ -n "$JDK_SUITE" ] || die "openjdk-$JDK_FEATURE-jdk-headless (ppc64el) not found in: ${JDK_SUITES[*]}"
JDK_PKGS=("openjdk-$JDK_FEATURE-jre-headless" "openjdk-$JDK_FEATURE-jdk-headless")
for p in "${JDK_PKGS[@]}" "${RUNTIME_LIBS[@]}" "${DLPAR_PKGS[@]}"; do resolve "$p" "$JDK_SUITE"; done
fill_metadata
log "resolve: kernel ($KERNEL) ${KPKGS[*]} ${RES_VER[${KPKGS[0]}]}, busybox ${RES_VER[busybox-static]}, openjdk ${RES_VER[${JDK_PKGS[1]}]} ($JDK_SUITE) in $(elapsed "$T0")s"

# ----------------------------------------------------------------------------------------------
# Host JDK (jlink for the guest runtime, javac for the self-test classes). Any x86-64 JDK of the
# same feature release works; without one, the ppc64le JDK's own jlink/javac run under qemu-user.
find_host_jdk() {
  local c
  for c in "${JVFIO_HOST_JDK:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-$JDK_FEATURE-jdk-amd64 \
           /usr/lib/jvm/*-"$JDK_FEATURE"-* /usr/lib/jvm/*"$JDK_FEATURE"*; do
    [ -n "$c" ] && [ -x "$c/bin/jlink" ] && [ -x "$c/bin/javac" ] && [ -f "$c/release" ] || continue
    if grep -qE "^JAVA_VERSION=\"$JDK_FEATURE([.\"])" "$c/release"; then printf '%s' "$c"; return 0; fi
  done
  return 1
}
HOST_JDK=$(find_host_jdk || true)
if [ -n "$HOST_JDK" ]; then
  JLINK_ID="host:$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$HOST_JDK/release")"
else
  JLINK_ID="qemu-user"
  warn "no x86-64 JDK $JDK_FEATURE found (set JVFIO_HOST_JDK); jlink/javac will run under qemu-user (slower)"
fi

# ----------------------------------------------------------------------------------------------
# Cache keys: the scripts, the resolved versions, and what builds them.
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
COMMON_LOCK=$( { lock_line busybox-static; for p in "${JDK_PKGS[@]}" "${RUNTIME_LIBS[@]}" "${DLPAR_PKGS[@]}"; do lock_line "$p"; done; } )
KEY_COMMON=$( { hash_of "$HERE/build.sh" "$HERE/common.sh" "$HERE"/selftest/*.java; echo "$COMMON_LOCK";
                echo "$JLINK_MODULES $JLINK_ADD_OPTIONS $JLINK_COMPRESS $JLINK_ID"; } | sha256sum | cut -d' ' -f1)
kernel_lock() { local p; for p in "$@"; do lock_line "$p"; done; }
flavour_key() { { echo "$KEY_COMMON"; hash_of "$HERE/init"; kernel_lock "$@"; } | sha256sum | cut -d' ' -f1; }
stamp_ok() {   # stamp_ok NAME KEY: the stamp (common: in images/, flavours: in the kernel's directory)
  local d=$KOUT; [ "$1" != common ] || d=$OUT
  [ "$FORCE" -eq 0 ] && [ -f "$d/.stamp-$1" ] && [ "$(cat "$d/.stamp-$1")" = "$2" ]
}

write_lock() {
  printf '%s\n' "$COMMON_LOCK" > "$OUT/.lock-common"
  {
    echo "# jvfio guest image inputs (Debian ppc64el), written $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# package suite version sha256"
    echo "# kernel choice: $KERNEL"
    cat "$KOUT/.lock-4k" "$OUT/.lock-common"
    if [ -f "$KOUT/.lock-64k" ] && [ -f "$KOUT/base-64k.cpio" ]; then cat "$KOUT/.lock-64k"; fi
  } > "$KOUT/versions.lock.new"
  mv "$KOUT/versions.lock.new" "$KOUT/versions.lock"
}

NEED_COMMON=1 NEED_4K=1 NEED_64K=$WITH_64K
stamp_ok common "$KEY_COMMON" && [ -x "$QU_JDK/bin/java" ] && [ -x "$GUEST_JDK/bin/java" ] && NEED_COMMON=0
KEY_4K=$(flavour_key "${KPKGS[@]}")
stamp_ok 4k "$KEY_4K" && [ "$NEED_COMMON" -eq 0 ] && [ -f "$KOUT/base.cpio" ] && [ -f "$KOUT/vmlinux" ] && NEED_4K=0
if [ "$WITH_64K" -eq 1 ]; then
  KEY_64K=$(flavour_key "${KPKGS64[@]}")
  stamp_ok 64k "$KEY_64K" && [ "$NEED_COMMON" -eq 0 ] && [ -f "$KOUT/base-64k.cpio" ] && NEED_64K=0
fi
if [ "$NEED_COMMON$NEED_4K$NEED_64K" = 000 ]; then
  [ -f "$KOUT/versions.lock" ] || write_lock
  log "up to date ($KOUT) in $(elapsed "$T_START")s"
  cat "$KOUT/versions.lock"
  exit 0
fi

# ----------------------------------------------------------------------------------------------
# 2. Download
for p in "${KPKGS[@]}" busybox-static "${JDK_PKGS[@]}" "${RUNTIME_LIBS[@]}" "${DLPAR_PKGS[@]}"; do fetch "$p"; done
[ "$WITH_64K" -eq 0 ] || for p in "${KPKGS64[@]}"; do fetch "$p"; done

QEMU_USER=$(command -v qemu-ppc64le-static)

# ----------------------------------------------------------------------------------------------
# 3. Sysroot: libs + the full Debian JDK, usable on the host under qemu-user.
# make_relative ROOT: absolute symlinks inside ROOT become relative ones (so they resolve
# inside ROOT, not on the host).
make_relative() {
  local root=$1 link target
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case $target in /*) ;; *) continue ;; esac
    ln -sfn "$(realpath -sm --relative-to="$(dirname "$link")" "$root$target")" "$link"
  done < <(find "$root" -type l -print0)
}
# merged_usr ROOT: the links base-files normally provides (the loader is /lib64/ld64.so.2).
merged_usr() {
  local d
  for d in bin sbin lib lib64; do
    mkdir -p "$1/usr/$d"
    if [ -d "$1/$d" ] && [ ! -L "$1/$d" ]; then   # a package shipped files under /$d: fold them in
      cp -a "$1/$d/." "$1/usr/$d/" && rm -rf "${1:?}/$d"
    fi
    ln -sfn "usr/$d" "$1/$d"
  done
}

build_sysroot() {
  local want; want=$(for p in "${RUNTIME_LIBS[@]}" "${JDK_PKGS[@]}"; do echo "$p ${RES_VER[$p]}"; done)
  if [ -f "$SYSROOT/.jvfio-packages" ] && [ "$(cat "$SYSROOT/.jvfio-packages")" = "$want" ]; then
    log "sysroot: already has these packages"
    return 0
  fi
  rm -rf "$SYSROOT.tmp" && mkdir -p "$SYSROOT.tmp"
  local p
  for p in "${RUNTIME_LIBS[@]}" "${JDK_PKGS[@]}"; do dpkg-deb -x "$(deb_path "$p")" "$SYSROOT.tmp"; done
  merged_usr "$SYSROOT.tmp"
  make_relative "$SYSROOT.tmp"
  printf '%s\n' "$want" > "$SYSROOT.tmp/.jvfio-packages"
  rm -rf "$SYSROOT" && mv "$SYSROOT.tmp" "$SYSROOT"
}

JDK_REL=usr/lib/jvm/java-$JDK_FEATURE-openjdk-ppc64el

write_qemu_user_wrapper() {
  rm -rf "$QU_JDK" && mkdir -p "$QU_JDK/bin"
  cat > "$QU_JDK/bin/java" <<EOF
#!/bin/sh
# Runs the ppc64le (Debian openjdk-$JDK_FEATURE) JVM from the jvfio sysroot under qemu-user.
# Usable wherever a 'java' executable is expected (e.g. Maven surefire -Djvm=<this file>).
# The name picks the tool: java, javac, jar, jshell ... (ppc64le-java means java).
set -eu
tool=\${0##*/}
case \$tool in ppc64le-java|ppc64le-*) tool=\${tool#ppc64le-} ;; esac
self=\$(readlink -f "\$0")
root=\$(cd "\${self%/*}/../../sysroot" && pwd -P)
qemu=\${JVFIO_QEMU_USER:-\$(command -v qemu-ppc64le-static || echo $QEMU_USER)}
exec "\$qemu" -L "\$root" "\$root/$JDK_REL/bin/\$tool" "\$@"
EOF
  chmod 755 "$QU_JDK/bin/java"
  ln -sfn java "$QU_JDK/bin/javac"
  ln -sfn java "$QU_JDK/bin/jar"
  # surefire and friends read the Java version from <home>/release
  cp "$SYSROOT/$JDK_REL/release" "$QU_JDK/release"
  ln -sfn qemu-user-jdk/bin/java "$OUT/ppc64le-java"
}

# compile_selftest: the self-test classes (GetPid for qemu-user, VfioApiVersion for the guest)
SELFTEST_CLASSES=$OUT/selftest-classes
compile_selftest() {
  rm -rf "$SELFTEST_CLASSES" && mkdir -p "$SELFTEST_CLASSES"
  if [ -n "$HOST_JDK" ]; then
    "$HOST_JDK/bin/javac" --release "$JDK_FEATURE" -d "$SELFTEST_CLASSES" "$HERE"/selftest/*.java
  else
    "$QU_JDK/bin/javac" --release "$JDK_FEATURE" -d "$SELFTEST_CLASSES" "$HERE"/selftest/*.java
  fi
}

verify_qemu_user() {
  local out
  out=$("$QU_JDK/bin/java" -version 2>&1) || { echo "$out" >&2; die "qemu-user java -version failed"; }
  log "qemu-user: $(echo "$out" | head -n1)"
  out=$("$OUT/ppc64le-java" --enable-native-access=ALL-UNNAMED -cp "$SELFTEST_CLASSES" GetPid 2>&1) \
    || { echo "$out" >&2; die "qemu-user FFM self-test (GetPid) failed"; }
  log "qemu-user: $out"
}

# jlink the guest runtime (+ a CDS archive dumped under qemu-user).
build_guest_jdk() {
  local jmods=$SYSROOT/$JDK_REL/jmods jlink tmp=$GUEST_JDK.tmp
  rm -rf "$tmp"
  local args=(--module-path "$jmods" --add-modules "$JLINK_MODULES" --strip-java-debug-attributes
              "--exclude-files=**.debuginfo" --no-header-files --no-man-pages "--compress=$JLINK_COMPRESS"
              "--add-options=$JLINK_ADD_OPTIONS" --output "$tmp")
  if [ -n "$HOST_JDK" ] && "$HOST_JDK/bin/jlink" "${args[@]}"; then
    jlink="$HOST_JDK/bin/jlink"
  else
    [ -z "$HOST_JDK" ] || warn "host jlink failed; retrying with the ppc64le jlink under qemu-user"
    rm -rf "$tmp"
    "$QU_JDK/bin/java" -version >/dev/null 2>&1 || die "qemu-user JDK unusable, cannot jlink"
    ln -sfn java "$QU_JDK/bin/jlink"
    "$QU_JDK/bin/jlink" "${args[@]}" || die "jlink (qemu-user) failed"
    jlink="qemu-user jlink"
  fi
  log "jlink: $JLINK_MODULES with $jlink -> $(du -sh "$tmp" | cut -f1)"
  rm -rf "$GUEST_JDK" && mv "$tmp" "$GUEST_JDK"
}

dump_cds() {
  # The default archive (lib/server/classes.jsa) from the JDK's classlist plus the classes and
  # lambda forms of an FFM training run (selftest/FfmTraining.java): that halves the time to a
  # jvfio program's first ioctl in the guest. Dumped in place: the archive records lib/modules'
  # size and mtime; cpio keeps the mtime and the kernel restores it (INITRAMFS_PRESERVE_MTIME).
  local cl=$WORK/ffm.classlist
  rm -f "$cl"
  "$QEMU_USER" -L "$SYSROOT" "$GUEST_JDK/bin/java" -Xshare:off "-XX:DumpLoadedClassList=$cl" \
    -cp "$SELFTEST_CLASSES" FfmTraining >"$WORK/cds-train.log" 2>&1 \
    || { tail -n 20 "$WORK/cds-train.log" >&2; die "CDS training run (FfmTraining under qemu-user) failed"; }
  { cat "$GUEST_JDK/lib/classlist"
    grep -v -e '^#' -e 'FfmTraining' "$cl" | sed 's/ id: [0-9]*$//'
  } | awk '!seen[$0]++' > "$GUEST_JDK/lib/classlist.new"
  mv "$GUEST_JDK/lib/classlist.new" "$GUEST_JDK/lib/classlist"
  "$QEMU_USER" -L "$SYSROOT" "$GUEST_JDK/bin/java" -Xshare:dump \
    >"$WORK/cds-dump.log" 2>&1 || { tail -n 20 "$WORK/cds-dump.log" >&2; die "CDS dump failed"; }
  log "cds: $(du -h "$GUEST_JDK/lib/server/classes.jsa" | cut -f1) archive, $(grep -vc '^#' "$GUEST_JDK/lib/classlist") classlist lines"
}

if [ "$NEED_COMMON" -eq 1 ]; then
  step "sysroot ($SYSROOT)" build_sysroot
  step "qemu-user wrapper ($QU_JDK/bin/java)" write_qemu_user_wrapper
  step "javac self-test classes" compile_selftest
  step "qemu-user verify (java -version, FFM getpid)" verify_qemu_user
  step "jlink guest runtime" build_guest_jdk
  step "cds archive (FFM training + -Xshare:dump under qemu-user)" dump_cds
  rm -f "$OUT"/.stamp-{4k,64k} "$OUT"/{6.1,newest}/.stamp-{4k,64k}   # every kernel's cpios embed the runtime
  echo "$KEY_COMMON" > "$OUT/.stamp-common"
else
  log "sysroot, qemu-user JDK and guest runtime are up to date"
fi

# ----------------------------------------------------------------------------------------------
# 4. Kernel + initramfs, per flavour.
# kernel_tree_keep PKG...: extracts the kernel's packages (once) into one tree under
# $WORK/kernel/<choice> and runs depmod -b; prints the tree. Older trees of the same choice are
# removed; the 4k and 64k trees are kept side by side. A merged-/usr tree (forky: usr/lib/modules)
# gets a lib -> usr/lib link so both layouts read alike.
kernel_tree_keep() {
  local base=$WORK/kernel/$KERNEL dir=$WORK/kernel/$KERNEL/$1_${RES_VER[$1]} p
  if [ ! -f "$dir/.done" ]; then
    mkdir -p "$dir"
    find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "${KPKGS[0]}_${RES_VER[${KPKGS[0]}]}" \
      ! -name "${KPKGS64[0]}_${RES_VER[${KPKGS[0]}]}" -exec rm -rf {} + 2>/dev/null || true
    for p in "$@"; do dpkg-deb -x "$(deb_path "$p")" "$dir"; done
    if [ ! -e "$dir/lib/modules" ] && [ -d "$dir/usr/lib/modules" ]; then ln -sfn usr/lib "$dir/lib"; fi
    depmod -b "$dir" "$(ls "$dir/lib/modules")"
    touch "$dir/.done"
  fi
  printf '%s' "$dir"
}

# module_closure TREE KV NAME...: module paths (relative to lib/modules/KV) in load order.
module_closure() {
  local tree=$1 kv=$2; shift 2
  local dep=$tree/lib/modules/$kv/modules.dep
  awk -v want="$*" '
    BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { x = w[i]; gsub(/-/, "_", x); wanted[i] = x } }
    function modname(p,   b) { b = p; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b); gsub(/-/, "_", b); return b }
    { path = $1; sub(/:$/, "", path); name = modname(path); byname[name] = path
      deps[path] = ""; for (i = 2; i <= NF; i++) deps[path] = deps[path] " " $i }
    function visit(p,   d, k, i) {
      if (p in seen) return; seen[p] = 1
      k = split(deps[p], d, " "); for (i = k; i >= 1; i--) visit(d[i])   # deepest dependency first
      order[++cnt] = p }
    END { for (i = 1; i <= n; i++) { if (!(wanted[i] in byname)) { print "MISSING " wanted[i]; exit 3 } visit(byname[wanted[i]]) }
          for (i = 1; i <= cnt; i++) print order[i] }' "$dep"
}

# newc_entry NAME MODE_OCTAL MAJOR MINOR INO: one newc header for a device node (no data).
newc_entry() {
  local name=$1 mode=$2 maj=$3 min=$4 ino=$5 nsize pad
  nsize=$(( ${#name} + 1 ))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$ino" "$((8#$mode))" 0 0 1 0 0 0 0 "$maj" "$min" "$nsize" 0
  printf '%s\0' "$name"
  pad=$(( (4 - (110 + nsize) % 4) % 4 ))
  head -c "$pad" /dev/zero
}
# build_flavour FLAVOUR "KPKG..." CPIO_NAME VMLINUX_NAME [EXTRA_MODULE...]
# Device nodes are appended as a hand-written newc archive (no mknod, works unprivileged);
# the kernel unpacks concatenated archives in order.
build_flavour() {
  local flavour=$1 kpkgs cpio_out=$KOUT/$3 vmlinux_out=$KOUT/$4 extra_mods=("${@:5}")
  read -r -a kpkgs <<< "$2"
  local kpkg=${kpkgs[0]} tree kv t0
  t0=$(now_s)
  log "kernel: extract ${kpkgs[*]} ${RES_VER[$kpkg]} + depmod -b"
  tree=$(kernel_tree_keep "${kpkgs[@]}")
  kv=$(ls "$tree/lib/modules")
  # the ELF kernel: boot/vmlinux-* up to 6.12, usr/lib/modules/V/vmlinuz (uncompressed ELF) in forky
  local vml; vml=$(find "$tree/boot" -maxdepth 1 -name 'vmlinux-*' 2>/dev/null | head -n1 || true)
  [ -n "$vml" ] || [ ! -f "$tree/lib/modules/$kv/vmlinuz" ] || vml=$tree/lib/modules/$kv/vmlinuz
  [ -n "$vml" ] || die "$kpkg has no boot/vmlinux-* nor lib/modules/$kv/vmlinuz (not the unsigned ELF flavour?)"
  [ "$(head -c 4 "$vml" | od -An -c | tr -d ' ')" = '177ELF' ] || die "$vml is not an ELF image (QEMU -kernel needs one)"
  log "kernel: $kv ready in $(elapsed "$t0")s"

  t0=$(now_s)
  local mods extra=''
  mods=$(module_closure "$tree" "$kv" "${VFIO_MODULES[@]}") || die "module closure failed: $mods"
  local dlpar_mods; dlpar_mods=$(module_closure "$tree" "$kv" "${DLPAR_MODULES[@]}") || die "module closure failed: $dlpar_mods"
  [ ${#extra_mods[@]} -eq 0 ] || { extra=$(module_closure "$tree" "$kv" "${extra_mods[@]}") || die "module closure failed: $extra"; }
  log "modules ($flavour, load order): $(echo "$mods" | sed 's|.*/||; s|\.ko.*||' | paste -sd' ')"
  [ -z "$extra" ] || log "modules ($flavour, shipped, not loaded): $(echo "$extra" | sed 's|.*/||; s|\.ko.*||' | paste -sd' ')"

  local root=$WORK/rootfs-$flavour
  rm -rf "$root" && mkdir -p "$root"
  merged_usr "$root"
  mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc/jvfio,opt,jvfio,var}
  chmod 1777 "$root/tmp"

  # busybox + applet links
  dpkg-deb -x "$(deb_path busybox-static)" "$WORK/busybox.x"
  install -m 755 "$WORK/busybox.x/bin/busybox" "$root/usr/bin/busybox"
  rm -rf "$WORK/busybox.x"
  local applet n=0
  while IFS= read -r applet; do
    [ -n "$applet" ] || continue
    [ -e "$root/$applet" ] || [ -L "$root/$applet" ] || { ln -s /usr/bin/busybox "$root/$applet"; n=$((n + 1)); }
  done < <("$QEMU_USER" "$root/usr/bin/busybox" --list-full)
  [ -e "$root/usr/bin/sh" ] || die "busybox applet list is missing sh"

  # the runtime and its shared-library closure from the sysroot
  cp -a "$GUEST_JDK" "$root/opt/jdk"
  copy_lib_closure "$root"

  # modules, decompressed (busybox insmod cannot read .ko.xz)
  local m dst
  : > "$root/etc/jvfio/modules"
  : > "$root/etc/jvfio/modules.extra"
  for m in $mods; do
    dst=$root/usr/lib/modules/$kv/${m%.xz}; mkdir -p "$(dirname "$dst")"
    case $m in *.xz) xz -dc "$tree/lib/modules/$kv/$m" > "$dst" ;; *) cp "$tree/lib/modules/$kv/$m" "$dst" ;; esac
    echo "/lib/modules/$kv/${m%.xz}" >> "$root/etc/jvfio/modules"
  done
  ship_modules() {   # ship_modules LIST_FILE MODULE_PATH...: decompressed, listed, unless /init loads them anyway
    local list=$1 m; shift
    for m in "$@"; do
      grep -qx "/lib/modules/$kv/${m%.xz}" "$root/etc/jvfio/modules" && continue
      dst=$root/usr/lib/modules/$kv/${m%.xz}; mkdir -p "$(dirname "$dst")"
      case $m in *.xz) xz -dc "$tree/lib/modules/$kv/$m" > "$dst" ;; *) cp "$tree/lib/modules/$kv/$m" "$dst" ;; esac
      echo "/lib/modules/$kv/${m%.xz}" >> "$list"
    done
  }
  # shellcheck disable=SC2086  # word lists of module paths
  ship_modules "$root/etc/jvfio/modules.extra" $extra
  : > "$root/etc/jvfio/modules.dlpar"
  # shellcheck disable=SC2086
  ship_modules "$root/etc/jvfio/modules.dlpar" $dlpar_mods
  install_dlpar_tools "$root"

  install -m 755 "$HERE/init" "$root/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  {
    echo "kernel=${kpkgs[*]} ${RES_VER[$kpkg]}"
    echo "kernel_choice=$KERNEL"
    echo "kernel_release=$kv"
    echo "jdk=${JDK_PKGS[1]} ${RES_VER[${JDK_PKGS[1]}]} ($JDK_SUITE)"
    echo "jlink_modules=$JLINK_MODULES"
    echo "busybox=${RES_VER[busybox-static]}"
  } > "$root/etc/jvfio/image"
  log "rootfs ($flavour): $n busybox applets, $(du -sh "$root" | cut -f1) in $(elapsed "$t0")s"

  # The CDS archive dumped under qemu-user is 4 KiB-aligned; a 64 KiB-page kernel cannot map it
  # (the JVM checks the alignment for equality and -Xshare:auto silently runs without it), so the
  # 64k image does not carry it.
  local xshare=-Xshare:on
  if [ "$flavour" = 64k ]; then rm -f "$root"/opt/jdk/lib/server/classes*.jsa; xshare=-Xshare:off; fi
  # The guest runtime must start inside this exact root (catches a missing library or a broken
  # CDS archive before any boot): run it under qemu-user with the rootfs as the only prefix.
  t0=$(now_s)
  local out
  out=$("$QEMU_USER" -L "$root" "$root/opt/jdk/bin/java" "$xshare" -version 2>&1) \
    || { echo "$out" >&2; die "the guest runtime does not start in the rootfs (qemu-user, $xshare)"; }
  log "rootfs ($flavour): /opt/jdk/bin/java $xshare -version ok under qemu-user in $(elapsed "$t0")s"

  t0=$(now_s)
  log "initramfs: $cpio_out"
  (
    cd "$root"
    find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet
    newc_entry dev/console 020600 5 1 900001
    newc_entry 'TRAILER!!!' 0 0 0 0
  ) > "$cpio_out.tmp"
  # pad the whole file to a 512-byte multiple like cpio does (and so the next archive aligns)
  local sz; sz=$(stat -c %s "$cpio_out.tmp")
  head -c $(( (512 - sz % 512) % 512 )) /dev/zero >> "$cpio_out.tmp"
  mv "$cpio_out.tmp" "$cpio_out"
  cp "$vml" "$vmlinux_out.tmp" && mv "$vmlinux_out.tmp" "$vmlinux_out"
  log "initramfs: $(du -h "$cpio_out" | cut -f1) (uncompressed newc), vmlinux $(du -h "$vmlinux_out" | cut -f1) in $(elapsed "$t0")s"
}

# install_dlpar_tools ROOT: drmgr, lsslot and rtas_errd in ROOT/usr/sbin with the libraries of the
# DLPAR packages; every library they need must then be in ROOT (checked, not assumed).
install_dlpar_tools() {
  local root=$1 x=$WORK/dlpar.x libdir=usr/lib/powerpc64le-linux-gnu p t f so
  rm -rf "$x" && mkdir -p "$x"
  for p in "${DLPAR_PKGS[@]}"; do dpkg-deb -x "$(deb_path "$p")" "$x"; done
  for t in "${DLPAR_TOOLS[@]}"; do install -m 755 "$x/usr/sbin/$t" "$root/usr/sbin/$t"; done
  find "$x/$libdir" -maxdepth 1 -name 'lib*.so.*' -exec cp -an {} "$root/$libdir/" \;
  mkdir -p "$root/var/log" "$root/var/lock" "$root/etc/ppc64-diag"
  cp "$x/etc/ppc64-diag/ppc64-diag.config" "$root/etc/ppc64-diag/" 2>/dev/null || true
  for f in "${DLPAR_TOOLS[@]/#/$root/usr/sbin/}" "$root/$libdir"/lib{rtas,rtasevent,servicelog,sqlite3,numa}*.so.*; do
    while IFS= read -r so; do
      [ -e "$root/$libdir/$so" ] || cp -L "$SYSROOT/$libdir/$so" "$root/$libdir/$so" 2>/dev/null \
        || die "DLPAR: library $so (needed by ${f#"$root"/}) is in neither the DLPAR packages nor the sysroot"
    done < <(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  done
  rm -rf "$x"
  log "dlpar: ${DLPAR_TOOLS[*]} (${DLPAR_PKGS[0]} ${RES_VER[${DLPAR_PKGS[0]}]}, ${DLPAR_PKGS[1]} ${RES_VER[${DLPAR_PKGS[1]}]})"
}

# copy_lib_closure ROOT: copies into ROOT/usr/lib/<multiarch> every shared library that ROOT's
# ELF files need (DT_NEEDED, transitively), from the sysroot, plus the ELF interpreter.
copy_lib_closure() {
  local root=$1 libdir=usr/lib/powerpc64le-linux-gnu
  mkdir -p "$root/$libdir" "$root/usr/lib64"
  local -A have=()
  local f so queue=() next
  # libraries provided by the runtime itself
  while IFS= read -r f; do have[${f##*/}]=1; done < <(find "$root/opt/jdk" -name '*.so*')
  mapfile -t queue < <(find "$root/opt/jdk" -type f \( -name '*.so*' -o -perm -u+x \) -print)
  while [ ${#queue[@]} -gt 0 ]; do
    next=()
    for f in "${queue[@]}"; do
      while IFS= read -r so; do
        [ -n "$so" ] && [ -z "${have[$so]:-}" ] || continue
        have[$so]=1
        local src=$SYSROOT/$libdir/$so
        [ -e "$src" ] || src=$SYSROOT/usr/lib64/$so
        [ -e "$src" ] || die "library $so (needed by ${f#"$root"/}) not in the sysroot"
        cp -L "$src" "$root/$libdir/$so"
        next+=("$root/$libdir/$so")
      done < <(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    done
    queue=("${next[@]+"${next[@]}"}")
  done
  # the interpreter (/lib64/ld64.so.2 -> usr/lib64 -> ../lib/<multiarch>)
  [ -e "$root/$libdir/ld64.so.2" ] || cp -L "$SYSROOT/$libdir/ld64.so.2" "$root/$libdir/ld64.so.2"
  ln -sfn ../lib/powerpc64le-linux-gnu/ld64.so.2 "$root/usr/lib64/ld64.so.2"
  log "libs: $(ls "$root/$libdir" | paste -sd' ')"
}

if [ "$NEED_4K" -eq 1 ]; then
  step "image 4k ($KERNEL: ${KPKGS[*]})" build_flavour 4k "${KPKGS[*]}" base.cpio vmlinux
  kernel_lock "${KPKGS[@]}" > "$KOUT/.lock-4k"
  echo "$KEY_4K" > "$KOUT/.stamp-4k"
else
  log "4k image is up to date"
fi
if [ "$WITH_64K" -eq 1 ]; then
  if [ "$NEED_64K" -eq 1 ]; then
    step "image 64k ($KERNEL: ${KPKGS64[*]})" build_flavour 64k "${KPKGS64[*]}" base-64k.cpio vmlinux-64k "${EXTRA_MODULES_64K[@]}"
    kernel_lock "${KPKGS64[@]}" > "$KOUT/.lock-64k"
    echo "$KEY_64K" > "$KOUT/.stamp-64k"
  else
    log "64k image is up to date"
  fi
fi
write_lock
rm -rf "$WORK"/rootfs-*

# Drop cached .debs of versions no longer resolved; the 64k kernel of the current version and the
# kernels of the other choices (their .lock-* files) stay.
KEEP_DEBS=()
for p in "${!RES_FILE[@]}"; do KEEP_DEBS+=("$(basename "${RES_FILE[$p]}")"); done
for p in "${KPKGS64[@]}"; do
  for f in "$DEBS_DIR/${p}_${RES_VER[${KPKGS[0]}]#*:}_"*.deb; do if [ -e "$f" ]; then KEEP_DEBS+=("${f##*/}"); fi; done
done
while read -r p _ v _; do KEEP_DEBS+=("${p}_${v#*:}_ppc64el.deb"); done \
  < <(cat "$OUT"/.lock-{4k,64k} "$OUT"/{6.1,newest}/.lock-{4k,64k} 2>/dev/null || true)
prune_debs "$DEBS_DIR" "${KEEP_DEBS[@]}"
log "done in $(elapsed "$T_START")s: $KOUT"
cat "$KOUT/versions.lock"
