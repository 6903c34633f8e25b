#!/usr/bin/env bash
# Builds the nested-KVM L1 image on top of qemu-images/build.sh, into
# ${JVFIO_CACHE:-$HOME/.cache/jvfio}/images/nested/.
#
#   build-l1.sh [--l1-kernel 64k|4k|both] [--refresh] [--offline] [--force]
#
#   --l1-kernel K  which kernel L1 runs (default 64k). 4k builds the deliberately broken L1 (QEMU in
#                  L1 then asks for 2-level TCE tables, which pSeries refuses); both builds both.
#   --refresh      re-read the Debian package indexes now (passed to build.sh)
#   --offline      never touch the network (passed to build.sh)
#   --force        rebuild the nested outputs even if their stamps say they are current
#
# What L1 gets, on top of the base image of its kernel flavour (busybox, /init, VFIO modules):
#   /usr/bin/qemu-system-ppc64  Debian bookworm's ppc64el QEMU (the host's version) and the shared
#                               libraries it needs, resolved from the packages at build time
#   /usr/share/qemu/vof.bin     from qemu-system-data (x-vof=on: no SLOF)
#   /opt/nested/kvm/            kvm.ko and kvm-hv.ko of L1's kernel, decompressed, in load order
#   /opt/nested/l2/vmlinux      the 4K-page kernel for L2 (L2's initramfs comes with each run:
#                               base.cpio + the run's overlay)
#   /opt/nested/l1-run.sh       what L1 does (see l1-run.sh); a run's /jvfio/run calls it
# Outputs: images/nested/l1/{vmlinux-64k,base-64k.cpio} (and {vmlinux,base.cpio} for the 4k L1), laid
# out like images/ so that GuestImages/boot.sh --images can boot them; images/nested/versions.lock.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGES_SRC=$(cd "$HERE/.." && pwd)
LOG_PREFIX='[nested]'
# shellcheck source=../common.sh
. "$IMAGES_SRC/common.sh"

FLAVOURS=(64k) BASE_ARGS=() FORCE=0 OFFLINE=0
while [ $# -gt 0 ]; do
  case $1 in
    --l1-kernel)
      [ $# -ge 2 ] || die "--l1-kernel needs 64k, 4k or both"
      case $2 in 64k) FLAVOURS=(64k) ;; 4k) FLAVOURS=(4k) ;; both) FLAVOURS=(64k 4k) ;;
        *) die "--l1-kernel: 64k, 4k or both, not '$2'" ;; esac
      shift 2 ;;
    --refresh) BASE_ARGS+=(--refresh); shift ;;
    --offline) BASE_ARGS+=(--offline); OFFLINE=1; shift ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

T_START=$(now_s)
QEMU_SUITE=bookworm            # the host's QEMU (7.2) comes from bookworm: L1 runs the same version
QEMU_ROOTS=(qemu-system-ppc qemu-system-data)
# Packages of the closure that are not shipped, and why (the ELF check below proves the binary does
# not need anything from them beyond what the base image has):
#   base image: libc6 libgcc-s1 libstdc++6 zlib1g (newer, from the JDK's suite; ABI-compatible)
#   adduser:   only qemu's maintainer scripts use it (and busybox has one); drags in passwd, PAM, ...
#   qemu-system-common: helpers (bridge, pr-helper, virtfs, vhost-user-gpu) and their GUI/audio libs
BASE_PROVIDED=(libc6 libgcc-s1 libstdc++6 zlib1g)
NOT_NEEDED=(adduser qemu-system-common)
# Trace events the L1 script enables; the build checks that this QEMU knows them.
TRACE_EVENTS=(vfio_spapr_create_window vfio_spapr_remove_window vfio_spapr_group_attach vfio_prereg_register
              vfio_prereg_unregister spapr_iommu_ddw_query spapr_iommu_ddw_create spapr_iommu_ddw_remove
              spapr_iommu_ddw_reset)
MULTIARCH=powerpc64le-linux-gnu

ensure_host_tools apt-get:apt dpkg-deb:dpkg cpio:cpio xz:xz-utils qemu-ppc64le-static:qemu-user-static \
  readelf:binutils modinfo:kmod sha256sum:coreutils flock:util-linux

# ----------------------------------------------------------------------------------------------
# 1. The base images (4K kernel + base.cpio for L2, the 64K flavour for L1): build.sh's own cache.
t0=$(now_s)
log "base images: qemu-images/build.sh --with-64k ${BASE_ARGS[*]:-}"
"$IMAGES_SRC/build.sh" --with-64k "${BASE_ARGS[@]+"${BASE_ARGS[@]}"}" >/dev/null
log "base images: ready in $(elapsed "$t0")s"

OUT=$IMAGES_DIR/nested
WORK=$JVFIO_CACHE/work/nested
DEBS=$JVFIO_CACHE/debs-nested   # not debs/: build.sh prunes what it did not resolve itself
APT_DIR=$JVFIO_CACHE/apt
mkdir -p "$OUT" "$WORK" "$DEBS"

# The same lock as build.sh: no build.sh rewrites versions.lock or the base images meanwhile.
lock_cache

# build.sh's private apt (same state, lists and sources; bookworm is among its suites).
private_apt_opts "$APT_DIR"
[ -f "$APT_DIR/sources.list" ] && grep -q " $QEMU_SUITE main" "$APT_DIR/sources.list" \
  || die "$APT_DIR/sources.list has no '$QEMU_SUITE' suite (build.sh writes it)"

# ----------------------------------------------------------------------------------------------
# 2. Resolve: the Depends/Pre-Depends closure of qemu-system-ppc and qemu-system-data in bookworm
# (first alternative of each |-group), minus what the base image provides or L1 does not need.
declare -A SEEN VER SHA FILE SIZE
resolve_closure() {
  local p queue=("${QEMU_ROOTS[@]}") next args line cur='' dup=0 dep
  for p in "${BASE_PROVIDED[@]}"; do SEEN[$p]=base; done
  for p in "${NOT_NEEDED[@]}"; do SEEN[$p]=skip; done
  for p in "${queue[@]}"; do SEEN[$p]=ship; done
  while [ ${#queue[@]} -gt 0 ]; do
    args=(); for p in "${queue[@]}"; do args+=("$p/$QEMU_SUITE"); done
    next=()
    # one apt-cache call per level of the dependency tree; a package's first stanza counts
    while IFS= read -r line; do
      case $line in
        Package:\ *) cur=${line#Package: }; dup=0; [ -z "${VER[$cur]:-}" ] || dup=1 ;;
      esac
      [ "$dup" -eq 0 ] || continue
      case $line in
        Version:\ *) VER[$cur]=${line#Version: } ;;
        Filename:\ *) FILE[$cur]=${line#Filename: } ;;
        SHA256:\ *) SHA[$cur]=${line#SHA256: } ;;
        Size:\ *) SIZE[$cur]=${line#Size: } ;;
        Depends:\ *|Pre-Depends:\ *)
          while IFS= read -r dep; do
            [ -n "$dep" ] && [ -z "${SEEN[$dep]:-}" ] || continue
            SEEN[$dep]=ship; next+=("$dep")
          done < <(printf '%s\n' "${line#*: }" | tr ',' '\n' | sed 's/|.*//; s/^ *//; s/[ (].*//; s/:any$//')
          ;;
      esac
    done < <(apt-cache "${APT_OPTS[@]}" show "${args[@]}" 2>"$WORK/apt-show.err")
    for p in "${queue[@]}"; do
      [ -n "${VER[$p]:-}" ] || die "package $p not found in suite $QEMU_SUITE (ppc64el): $(head -c 300 "$WORK/apt-show.err")"
    done
    queue=("${next[@]+"${next[@]}"}")
  done
}
t0=$(now_s)
resolve_closure
SHIP=() SKIPPED=()
for p in "${!SEEN[@]}"; do
  case ${SEEN[$p]} in ship) SHIP+=("$p") ;; *) SKIPPED+=("$p(${SEEN[$p]})") ;; esac
done
mapfile -t SHIP < <(printf '%s\n' "${SHIP[@]}" | LC_ALL=C sort)
total_kb=0; for p in "${SHIP[@]}"; do total_kb=$(( total_kb + ${SIZE[$p]:-0} / 1024 )); done
log "resolve: qemu-system-ppc ${VER[qemu-system-ppc]} ($QEMU_SUITE): ${#SHIP[@]} packages, $((total_kb / 1024)).$(( total_kb % 1024 * 10 / 1024 )) MB of .debs, in $(elapsed "$t0")s"
log "resolve: not shipped: $(printf '%s\n' "${SKIPPED[@]}" | LC_ALL=C sort | paste -sd' ')"
QEMU_LOCK=$(for p in "${SHIP[@]}"; do printf '%s %s %s %s\n' "$p" "$QEMU_SUITE" "${VER[$p]}" "${SHA[$p]}"; done)

# ----------------------------------------------------------------------------------------------
# 3. Cache keys: this script, l1-run.sh, common.sh, the resolved closure, the base images' stamps.
lock_of() {
  local l; l=$(awk -v p="$1" '$1 == p { print; exit }' "$IMAGES_DIR/versions.lock")
  [ -n "$l" ] || die "versions.lock has no line for $1 (run build.sh --with-64k)"
  printf '%s\n' "$l"
}
K4_LINE=$(grep -E '^linux-image-[^ ]*-powerpc64le ' "$IMAGES_DIR/versions.lock" | head -n1)
K64_LINE=$(grep -E '^linux-image-[^ ]*-powerpc64le-64k ' "$IMAGES_DIR/versions.lock" | head -n1)
[ -n "$K4_LINE" ] && [ -n "$K64_LINE" ] || die "versions.lock lacks the 4k or the 64k kernel (run build.sh --with-64k)"
BASE_LOCK=$(for p in "${BASE_PROVIDED[@]}"; do lock_of "$p"; done)
KEY_COMMON=$( { cat "$HERE/build-l1.sh" "$HERE/l1-run.sh" "$IMAGES_SRC/common.sh"; echo "$QEMU_LOCK"; echo "$BASE_LOCK";
                echo "$K4_LINE"; cat "$IMAGES_DIR/.stamp-4k"; } | sha256sum | cut -d' ' -f1)
flavour_key() { { echo "$KEY_COMMON"; [ "$1" = 64k ] && { echo "$K64_LINE"; cat "$IMAGES_DIR/.stamp-64k"; } || echo "$K4_LINE"; } | sha256sum | cut -d' ' -f1; }
l1_kernel_name() { [ "$1" = 64k ] && echo vmlinux-64k || echo vmlinux; }
l1_base_name() { [ "$1" = 64k ] && echo base-64k.cpio || echo base.cpio; }

write_lock() {
  {
    echo "# jvfio nested-KVM L1 image inputs (Debian ppc64el), written $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# package suite version sha256"
    echo "# L1 kernel (64k) / L2 kernel (4k, also the broken 4k L1):"
    echo "$K64_LINE"; echo "$K4_LINE"
    echo "# QEMU in L1 and its shared-library closure (${#SHIP[@]} packages):"
    echo "$QEMU_LOCK"
    echo "# provided by the base image (not shipped again): ${BASE_PROVIDED[*]}; not needed in L1: ${NOT_NEEDED[*]}"
  } > "$OUT/versions.lock.new"
  mv "$OUT/versions.lock.new" "$OUT/versions.lock"
  # ... and the same packages as a marked section of images/versions.lock (replaced on each build;
  # build.sh keeps the file while it is up to date and rewrites it when it rebuilds)
  local main=$IMAGES_DIR/versions.lock
  {
    sed '/^# --- nested L1 (build-l1.sh) ---$/,/^# --- end nested L1 ---$/d' "$main"
    echo "# --- nested L1 (build-l1.sh) ---"
    echo "$QEMU_LOCK"
    echo "# --- end nested L1 ---"
  } > "$main.new"
  mv "$main.new" "$main"
}

NEED=()
for f in "${FLAVOURS[@]}"; do
  key=$(flavour_key "$f")
  if [ "$FORCE" -eq 0 ] && [ -f "$OUT/.stamp-$f" ] && [ "$(cat "$OUT/.stamp-$f")" = "$key" ] \
     && [ -f "$OUT/l1/$(l1_base_name "$f")" ] && [ -e "$OUT/l1/$(l1_kernel_name "$f")" ]; then
    log "L1 ($f) is up to date"
  else
    NEED+=("$f")
  fi
done
if [ ${#NEED[@]} -eq 0 ]; then
  grep -q '^# --- nested L1' "$IMAGES_DIR/versions.lock" && [ -f "$OUT/versions.lock" ] || write_lock
  log "up to date ($OUT) in $(elapsed "$T_START")s"
  cat "$OUT/versions.lock"
  exit 0
fi

# ----------------------------------------------------------------------------------------------
# 4. Download (one apt-get download for every missing .deb; 3 tries with backoff; checksums).
deb_of() { printf '%s/%s' "$DEBS" "$(basename "${FILE[$1]}")"; }
have_deb() { sha256_is "$(deb_of "$1")" "${SHA[$1]}"; }
download_missing() {
  local missing=() p tmp
  for p in "${SHIP[@]}"; do have_deb "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then log "download: all ${#SHIP[@]} .debs cached in $DEBS"; return 0; fi
  [ "$OFFLINE" -eq 0 ] || die "--offline: not in $DEBS: ${missing[*]}"
  log "download: ${#missing[@]} packages: ${missing[*]}"
  local args=(); for p in "${missing[@]}"; do args+=("$p=${VER[$p]}"); done
  tmp=$(mktemp -d "$WORK/dl.XXXXXX")
  if ! retry "download" "$WORK/download.log" \
       bash -c 'cd "$1" && shift && exec apt-get "$@"' _ "$tmp" "${APT_OPTS[@]}" download "${args[@]}"; then
    rm -rf "$tmp"
    die "download of ${missing[*]} from suite $QEMU_SUITE failed after 3 tries (run again with --refresh if the mirror moved on)"
  fi
  for p in "${missing[@]}"; do
    local got; got=$(find "$tmp" -maxdepth 1 -name "${p}_*.deb" | head -n1)
    [ -n "$got" ] && sha256_is "$got" "${SHA[$p]}" \
      || { rm -rf "$tmp"; die "$p ${VER[$p]} ($QEMU_SUITE): missing after download or checksum mismatch"; }
    mv "$got" "$(deb_of "$p")"
  done
  rm -rf "$tmp"
  # drop .debs that are no longer in the closure
  local keep=(); for p in "${SHIP[@]}"; do keep+=("$(basename "${FILE[$p]}")"); done
  prune_debs "$DEBS" "${keep[@]}"
}
step "download ($QEMU_SUITE, $DEBS)" download_missing

# ----------------------------------------------------------------------------------------------
# 5. The QEMU tree: unpack the closure, keep the binary, vof.bin and the libraries it needs.
PKGROOT=$WORK/pkgroot
unpack_closure() {
  local want p; want=$(printf '%s\n' "$QEMU_LOCK")
  if [ -f "$PKGROOT/.packages" ] && [ "$(cat "$PKGROOT/.packages")" = "$want" ]; then
    log "unpack: $PKGROOT already has these packages"; return 0
  fi
  rm -rf "$PKGROOT.tmp" && mkdir -p "$PKGROOT.tmp"
  for p in "${SHIP[@]}"; do dpkg-deb -x "$(deb_of "$p")" "$PKGROOT.tmp"; done
  printf '%s\n' "$want" > "$PKGROOT.tmp/.packages"
  rm -rf "$PKGROOT" && mv "$PKGROOT.tmp" "$PKGROOT"
}
step "unpack ${#SHIP[@]} packages" unpack_closure

# lib_dir_of ROOT SONAME: where SONAME lives under ROOT's library directories, or nothing.
lib_in() {
  local d
  for d in "usr/lib/$MULTIARCH" "lib/$MULTIARCH" usr/lib64 usr/lib lib; do
    [ -e "$1/$d/$2" ] && { printf '%s' "$1/$d/$2"; return 0; }
  done
  return 1
}
# The sonames the base image's initramfs has (they are not shipped again).
mapfile -t BASE_SONAMES < <(cpio -it < "$IMAGES_DIR/base-64k.cpio" 2>/dev/null | sed -n "s|^usr/lib/$MULTIARCH/||p" | grep -v /)

# qemu_tree DEST: the binary, vof.bin and the DT_NEEDED closure (minus the base image's libraries)
qemu_tree() {
  local dest=$1 f so src queue next
  local -A have=()
  # Only those the sysroot has too: the check below runs the binary against the sysroot, and the base
  # image's DLPAR libraries (libnuma ...) come from packages the sysroot does not carry.
  for so in "${BASE_SONAMES[@]}"; do lib_in "$IMAGES_DIR/sysroot" "$so" >/dev/null && have[$so]=base; done
  mkdir -p "$dest/usr/bin" "$dest/usr/lib/$MULTIARCH" "$dest/usr/share/qemu"
  install -m 755 "$PKGROOT/usr/bin/qemu-system-ppc64" "$dest/usr/bin/qemu-system-ppc64"
  cp "$PKGROOT/usr/share/qemu/vof.bin" "$dest/usr/share/qemu/vof.bin"
  queue=("$dest/usr/bin/qemu-system-ppc64")
  while [ ${#queue[@]} -gt 0 ]; do
    next=()
    for f in "${queue[@]}"; do
      while IFS= read -r so; do
        [ -n "$so" ] && [ -z "${have[$so]:-}" ] || continue
        have[$so]=1
        src=$(lib_in "$PKGROOT" "$so") \
          || die "library $so (needed by ${f##*/}) is in none of the shipped packages nor the base image"
        cp -L "$src" "$dest/usr/lib/$MULTIARCH/$so"
        next+=("$dest/usr/lib/$MULTIARCH/$so")
      done < <(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    done
    queue=("${next[@]+"${next[@]}"}")
  done
  local n; n=$(find "$dest/usr/lib/$MULTIARCH" -type f | wc -l)
  log "qemu: qemu-system-ppc64 + vof.bin + $n libraries ($(du -sh "$dest" | cut -f1)); from the base image: $(printf '%s\n' "${!have[@]}" | while read -r s; do [ "${have[$s]}" = base ] && echo "$s"; done | sort | paste -sd' ')"
}

# verify_qemu ROOT: the binary starts under qemu-user with the base image's libraries and knows the
# trace events the L1 script enables.
verify_qemu() {
  local root=$1 q out ev missing=()
  q=(qemu-ppc64le-static -L "$IMAGES_DIR/sysroot" -E "LD_LIBRARY_PATH=$root/usr/lib/$MULTIARCH" "$root/usr/bin/qemu-system-ppc64")
  out=$("${q[@]}" --version 2>&1) || { echo "$out" >&2; die "qemu-system-ppc64 (ppc64el) does not start under qemu-user"; }
  log "qemu: $(echo "$out" | head -n1) (checked under qemu-user)"
  out=$("${q[@]}" -trace help 2>&1) || { echo "$out" | tail -n 5 >&2; die "qemu-system-ppc64 -trace help failed"; }
  for ev in "${TRACE_EVENTS[@]}"; do grep -qx "$ev" <<<"$out" || missing+=("$ev"); done
  [ ${#missing[@]} -eq 0 ] || die "this QEMU lacks the trace events: ${missing[*]}"
  log "qemu: trace events present: ${TRACE_EVENTS[*]}"
}

# kvm_modules FLAVOUR DEST: kvm.ko and kvm-hv.ko of that kernel (from its cached .deb), decompressed,
# with DEST/modules listing the load order (dependencies from modinfo).
kvm_modules() {
  local flavour=$1 dest=$2 line pkg ver deb tmp kv m dep order=()
  line=$([ "$flavour" = 64k ] && echo "$K64_LINE" || echo "$K4_LINE")
  read -r pkg _ ver _ <<<"$line"
  deb=$(find "$JVFIO_CACHE/debs" -maxdepth 1 -name "${pkg}_${ver//+/?}_ppc64el.deb" | head -n1)
  [ -n "$deb" ] || deb=$(find "$JVFIO_CACHE/debs" -maxdepth 1 -name "${pkg}_*_ppc64el.deb" | head -n1)
  [ -n "$deb" ] || die "no cached .deb of $pkg in $JVFIO_CACHE/debs (run qemu-images/build.sh --with-64k)"
  tmp=$(mktemp -d "$WORK/kmod.XXXXXX")
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*/kernel/arch/powerpc/kvm/*'
  kv=$(ls "$tmp/usr/lib/modules" 2>/dev/null || ls "$tmp/lib/modules")
  local src; src=$(find "$tmp" -type d -path '*/kernel/arch/powerpc/kvm' | head -n1)
  [ -n "$src" ] || die "$pkg has no arch/powerpc/kvm modules"
  mkdir -p "$dest"
  for m in kvm kvm-hv; do
    [ -f "$src/$m.ko.xz" ] && xz -dc "$src/$m.ko.xz" > "$dest/$m.ko" || cp "$src/$m.ko" "$dest/$m.ko" \
      || die "$pkg has no $m module"
  done
  # load order: each module after its dependencies (both must be among the two)
  for m in kvm kvm-hv; do
    for dep in $(modinfo -F depends "$dest/$m.ko" | tr ',' ' '); do
      [ -f "$dest/$dep.ko" ] || [ -f "$dest/${dep//_/-}.ko" ] || die "$m.ko depends on $dep, which is not shipped"
    done
  done
  printf 'kvm.ko\nkvm-hv.ko\n' > "$dest/modules"
  echo "$kv" > "$dest/kernel_release"
  rm -rf "$tmp"
  log "kvm ($flavour): kvm.ko kvm-hv.ko of $kv ($(du -sh "$dest" | cut -f1))"
}

# newc archive of a directory, padded to 512 bytes (so an archive appended after it stays aligned).
pack() {
  local dir=$1 out=$2 sz
  (cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) > "$out.tmp"
  sz=$(stat -c %s "$out.tmp"); head -c $(( (512 - sz % 512) % 512 )) /dev/zero >> "$out.tmp"
  mv "$out.tmp" "$out"
}

build_l1() {
  local flavour=$1 root=$WORK/extra-$1 t0
  t0=$(now_s)
  rm -rf "$root" && mkdir -p "$root/opt/nested/l2" "$root/etc/jvfio"
  qemu_tree "$root"
  verify_qemu "$root"
  kvm_modules "$flavour" "$root/opt/nested/kvm"
  cp "$IMAGES_DIR/vmlinux" "$root/opt/nested/l2/vmlinux"
  install -m 755 "$HERE/l1-run.sh" "$root/opt/nested/l1-run.sh"
  {
    echo "l1_kernel=$flavour $(cut -d' ' -f1,3 <<<"$([ "$flavour" = 64k ] && echo "$K64_LINE" || echo "$K4_LINE")")"
    echo "l2_kernel=$(cut -d' ' -f1,3 <<<"$K4_LINE")"
    echo "qemu=qemu-system-ppc ${VER[qemu-system-ppc]} ($QEMU_SUITE)"
    echo "trace_events=${TRACE_EVENTS[*]}"
  } > "$root/etc/jvfio/nested"
  pack "$root" "$OUT/l1-extra-$flavour.cpio"
  mkdir -p "$OUT/l1"
  local base; base=$(l1_base_name "$flavour")
  cat "$IMAGES_DIR/$base" "$OUT/l1-extra-$flavour.cpio" > "$OUT/l1/$base.tmp"
  mv "$OUT/l1/$base.tmp" "$OUT/l1/$base"
  ln -sfn "../../$(l1_kernel_name "$flavour")" "$OUT/l1/$(l1_kernel_name "$flavour")"
  rm -rf "$root"
  log "L1 ($flavour): $OUT/l1/$base $(du -h "$OUT/l1/$base" | cut -f1) = $base + l1-extra-$flavour.cpio $(du -h "$OUT/l1-extra-$flavour.cpio" | cut -f1), in $(elapsed "$t0")s"
}

for f in "${NEED[@]}"; do
  step "L1 image ($f)" build_l1 "$f"
  flavour_key "$f" > "$OUT/.stamp-$f"
done
write_lock
log "done in $(elapsed "$T_START")s: $OUT/l1"
cat "$OUT/versions.lock"
