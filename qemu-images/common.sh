# shellcheck shell=bash
# Shared helpers for qemu-images/*.sh. Sourced, never executed.

JVFIO_CACHE=${JVFIO_CACHE:-${HOME:-/root}/.cache/jvfio}
# shellcheck disable=SC2034  # used by the scripts that source this file
IMAGES_DIR=${JVFIO_CACHE}/images

# set -e also inside $(...) (bash does not inherit it there by default)
shopt -s inherit_errexit

# Progress and errors go to stderr with a fixed prefix (set by each script).
: "${LOG_PREFIX:=[images]}"
log()  { printf '%s %s\n' "$LOG_PREFIX" "$*" >&2; }
warn() { printf '%s WARNING: %s\n' "$LOG_PREFIX" "$*" >&2; }
die()  { printf '%s ERROR: %s\n' "$LOG_PREFIX" "$*" >&2; exit 1; }

# now_s: seconds since the epoch with microseconds (bash 5 EPOCHREALTIME).
now_s() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# elapsed_us START: microseconds since START (a now_s value); elapsed START: seconds, one decimal.
elapsed_us() { local n; n=$(now_s); echo $(( ${n/./} - ${1/./} )); }
elapsed() { local d; d=$(elapsed_us "$1"); printf '%d.%d' $((d / 1000000)) $(( d % 1000000 / 100000 )); }

# step LABEL CMD...: runs CMD with a start line and an end line carrying the elapsed time.
step() {
  local label=$1; shift
  local t0; t0=$(now_s)
  log "$label ..."
  "$@"
  log "$label: done in $(elapsed "$t0")s"
}

# ensure_host_tools CMD:DEBIAN_PACKAGE ...
# Installs the Debian packages of missing commands (root), or prints the command to run (not root).
ensure_host_tools() {
  local missing_pkgs=() spec cmd pkg
  for spec in "$@"; do
    cmd=${spec%%:*}; pkg=${spec#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
      case " ${missing_pkgs[*]:-} " in *" $pkg "*) ;; *) missing_pkgs+=("$pkg") ;; esac
    fi
  done
  [ ${#missing_pkgs[@]} -eq 0 ] && return 0
  local cmdline="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing_pkgs[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    printf '%s ERROR: missing host tools; run as root:\n  %s\n' "$LOG_PREFIX" "$cmdline" >&2
    exit 1
  fi
  log "installing host packages: ${missing_pkgs[*]}"
  local waited=0
  while pgrep -x apt-get >/dev/null || pgrep -x dpkg >/dev/null; do
    [ $waited -eq 0 ] && log "waiting for a running apt-get/dpkg to finish ..."
    waited=$((waited + 5)); [ $waited -lt 1800 ] || die "apt-get/dpkg still running after 30 min"
    sleep 5
  done
  # Wait for a concurrent apt/dpkg (e.g. an unattended install) instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=900 update >&2 \
    || die "apt-get update failed (needed to install: ${missing_pkgs[*]})"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    "${missing_pkgs[@]}" >&2 || die "apt-get install ${missing_pkgs[*]} failed"
  for spec in "$@"; do
    cmd=${spec%%:*}
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] \
      || die "$cmd still missing after installing ${spec#*:}"
  done
}

# lock_cache: one image build at a time per cache (build.sh, nested/build-l1.sh): holds fd 9 on
# $JVFIO_CACHE/.images.lock until the script exits.
lock_cache() {
  exec 9>"$JVFIO_CACHE/.images.lock"
  if ! flock -n 9; then log "waiting for another image build on $JVFIO_CACHE ..."; flock 9; fi
}

# sha256_is FILE SHA256: FILE exists and has that checksum.
sha256_is() { [ -f "$1" ] && [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$2" ]; }

# retry WHAT LOGFILE CMD...: 3 tries with 2 s / 4 s backoff, CMD's output in LOGFILE; on the last
# failure its tail goes to stderr and the status is 1.
retry() {
  local what=$1 logfile=$2; shift 2
  local try
  for try in 1 2 3; do
    if "$@" >"$logfile" 2>&1; then return 0; fi
    if [ "$try" -lt 3 ]; then
      warn "$what failed (try $try/3), retrying in $((2 ** try))s"; sleep $((2 ** try))
    fi
  done
  sed 's/^/    /' "$logfile" | tail -n 15 >&2
  return 1
}

# prune_debs DIR KEEP...: deletes DIR/*.deb whose file name is not among the KEEP names.
prune_debs() {
  local dir=$1; shift
  local f b k keep
  for f in "$dir"/*.deb; do
    [ -e "$f" ] || continue
    b=${f##*/} keep=0
    for k in "$@"; do [ "$b" = "$k" ] && keep=1 && break; done
    [ "$keep" -eq 1 ] || { rm -f "$f"; log "pruned old $b"; }
  done
}

# depmod lives in /usr/sbin or /sbin, which a non-root PATH may lack.
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac
export PATH

# private_apt_opts DIR: sets APT_OPTS for a private ppc64el apt under DIR (own state, lists, cache;
# the system's apt state is never touched). Used by build.sh and nested/build-l1.sh alike.
private_apt_opts() {
  local APT_DIR=$1
  APT_OPTS=(
    -o APT::Architecture=ppc64el -o APT::Architectures=ppc64el
    -o Dir::State="$APT_DIR/state" -o Dir::State::Lists="$APT_DIR/lists"
    -o Dir::State::status=/dev/null -o Dir::State::extended_states="$APT_DIR/state/extended_states"
    -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d"
    -o Dir::Etc::Preferences="$APT_DIR/preferences" -o Dir::Etc::PreferencesParts="$APT_DIR/preferences.d"
    -o Dir::Cache="$APT_DIR/cache" -o Dir::Cache::Archives="$APT_DIR/archives"
    -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin
    -o Acquire::Check-Valid-Until=false -o Acquire::Languages=none -o Acquire::Retries=2
    -o Debug::NoLocking=1 -o quiet=1
  )
  if [ "$(id -u)" -eq 0 ]; then APT_OPTS+=(-o APT::Sandbox::User=root); fi
}
