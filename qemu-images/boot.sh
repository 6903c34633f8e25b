#!/usr/bin/env bash
# boot.sh [options] OVERLAY_DIR|OVERLAY.cpio
# Boots the jvfio pSeries guest (qemu-system-ppc64, TCG) with base.cpio + an overlay made from
# OVERLAY_DIR (its files land in /jvfio; /jvfio/run is executed; or an overlay.sh output file),
# streams the console to stdout and exits with the guest's JVFIO-EXIT status.
#
# Options:
#   --edu-dma-mask M      dma_mask of the edu device(s) (default 0xffffffffffffffff)
#   --phb2                add a second PHB (index 1) with another edu: a second IOMMU group
#                         (0001:00:00.0)
#   --nvme IMAGE          add QEMU's nvme on a PHB of its own (index 1, or 2 with --phb2), namespace 1
#                         backed by the raw file IMAGE: its own IOMMU group, bound to vfio-pci by /init
#   --mem SIZE            guest RAM (default 2G)
#   --cpu MODEL           (default power9)
#   --smp N               vCPUs (default 1; N > 1 uses multi-threaded TCG)
#   --global PROP=VAL     passed as -global (repeatable), e.g.
#                         spapr-pci-host-bridge.dma_win_size=0x80000000
#   --machine-opts OPTS   appended to -M pseries,... (e.g. cap-nested-hv=on)
#   --slof                boot through SLOF instead of x-vof=on (about 6 s slower)
#   --64k                 use the 64 KiB-page kernel and base-64k.cpio (build.sh --with-64k)
#   --append ARGS         extra kernel command line (e.g. disable_radix)
#   --qemu-arg ARG        extra QEMU argument (repeatable)
#   --timeout SECONDS     kill QEMU and exit 124 after this long (default 600)
#   --log FILE            also write the console (CR stripped) to FILE
#   --timestamps          prefix each console line on stdout with the seconds since QEMU started
#   --images DIR          image directory (default ${JVFIO_CACHE:-$HOME/.cache/jvfio}/images)
#
# Exit status: the guest's JVFIO-EXIT value; 124 timeout; 3 the kernel log has Oops/BUG:/WARNING:
# (the lines are printed); 125 QEMU ended without a JVFIO-EXIT line; 2 usage; 1 setup error.
# A timeline (QEMU start to /init, to /jvfio/run, to its first output, total) goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX='[boot]'
# shellcheck source=common.sh
. "$HERE/common.sh"

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

DMA_MASK=0xffffffffffffffff PHB2=0 NVME='' MEM=2G CPU=power9 SMP=1 TIMEOUT=600 VOF=1 K64=0
MACHINE_EXTRA='' APPEND_EXTRA='' LOGFILE='' IMAGES=$IMAGES_DIR STAMPS=0
GLOBALS=() QEMU_EXTRA=()
need() { [ $# -ge 2 ] || { echo "$LOG_PREFIX option $1 needs a value" >&2; usage; }; }
while [ $# -gt 0 ]; do
  case $1 in
    --edu-dma-mask) need "$@"; DMA_MASK=$2; shift 2 ;;
    --phb2) PHB2=1; shift ;;
    --nvme) need "$@"; NVME=$2; shift 2 ;;
    --mem) need "$@"; MEM=$2; shift 2 ;;
    --cpu) need "$@"; CPU=$2; shift 2 ;;
    --smp) need "$@"; SMP=$2; shift 2 ;;
    --global) need "$@"; GLOBALS+=(-global "$2"); shift 2 ;;
    --machine-opts) need "$@"; MACHINE_EXTRA=",$2"; shift 2 ;;
    --slof) VOF=0; shift ;;
    --64k) K64=1; shift ;;
    --append) need "$@"; APPEND_EXTRA=" $2"; shift 2 ;;
    --qemu-arg) need "$@"; QEMU_EXTRA+=("$2"); shift 2 ;;
    --timeout) need "$@"; TIMEOUT=$2; shift 2 ;;
    --log) need "$@"; LOGFILE=$2; shift 2 ;;
    --timestamps) STAMPS=1; shift ;;
    --images) need "$@"; IMAGES=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "$LOG_PREFIX unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
OVERLAY_DIR=$1
[ -d "$OVERLAY_DIR" ] || [ -f "$OVERLAY_DIR" ] || { echo "$LOG_PREFIX no such directory or overlay cpio: $OVERLAY_DIR" >&2; exit 2; }
[[ $TIMEOUT =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || { echo "$LOG_PREFIX bad --timeout '$TIMEOUT'" >&2; exit 2; }
[[ $SMP =~ ^[0-9]+$ ]] && [ "$SMP" -gt 0 ] || { echo "$LOG_PREFIX bad --smp '$SMP'" >&2; exit 2; }

ensure_host_tools qemu-system-ppc64:qemu-system-ppc cpio:cpio setpriv:util-linux

if [ "$K64" -eq 1 ]; then KERNEL=$IMAGES/vmlinux-64k BASE=$IMAGES/base-64k.cpio K64_BUILD_OPT=' --with-64k'
else KERNEL=$IMAGES/vmlinux BASE=$IMAGES/base.cpio; fi
for f in "$KERNEL" "$BASE"; do
  [ -f "$f" ] || die "$f is missing: run qemu-images/build.sh${K64_BUILD_OPT:-} first"
done

# Remove the temp dirs of earlier boot.sh runs that were SIGKILLed (their owner pid is gone).
for d in "${TMPDIR:-/tmp}"/jvfio-boot.*; do
  [ -f "$d/owner" ] || continue
  kill -0 "$(cat "$d/owner")" 2>/dev/null || rm -rf "$d"
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jvfio-boot.XXXXXX")
echo $$ > "$TMP/owner"
QPID=''
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    kill -TERM "$QPID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QPID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -d "$OVERLAY_DIR" ]; then
  "$HERE/overlay.sh" "$OVERLAY_DIR" "$TMP/overlay.cpio"
  cat "$BASE" "$TMP/overlay.cpio" > "$TMP/initrd"
else   # a ready-made overlay cpio (e.g. from overlay.sh)
  cat "$BASE" "$OVERLAY_DIR" > "$TMP/initrd"
fi

VOF_OPT=''; [ "$VOF" -eq 0 ] || VOF_OPT=,x-vof=on
MACHINE="pseries$VOF_OPT,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off$MACHINE_EXTRA"
ACCEL=tcg; [ "$SMP" -gt 1 ] && ACCEL=tcg,thread=multi
QEMU=(qemu-system-ppc64 -M "$MACHINE" -cpu "$CPU" -smp "$SMP" -accel "$ACCEL" -m "$MEM"
      -nographic -nodefaults -serial mon:stdio -no-reboot
      -kernel "$KERNEL" -initrd "$TMP/initrd"
      -append "console=hvc0 quiet loglevel=4$APPEND_EXTRA"
      -device "edu,dma_mask=$DMA_MASK")
[ "$PHB2" -eq 0 ] || QEMU+=(-device "spapr-pci-host-bridge,index=1,id=phb1" -device "edu,bus=phb1.0,dma_mask=$DMA_MASK")
if [ -n "$NVME" ]; then
  [ -f "$NVME" ] || { echo "$LOG_PREFIX --nvme: no such image file: $NVME" >&2; exit 2; }
  NVME_PHB=$((PHB2 + 1))
  QEMU+=(-device "spapr-pci-host-bridge,index=$NVME_PHB,id=phb$NVME_PHB"
         -drive "file=$NVME,if=none,id=nvme0,format=raw" -device "nvme,serial=jvfio-nvme,drive=nvme0,bus=phb$NVME_PHB.0")
fi
QEMU+=("${GLOBALS[@]+"${GLOBALS[@]}"}" "${QEMU_EXTRA[@]+"${QEMU_EXTRA[@]}"}")

# QEMU dies with this script even on SIGKILL (parent-death signal); the trap covers the rest.
PDEATH=(); setpriv --help 2>&1 | grep pdeathsig >/dev/null && PDEATH=(setpriv --pdeathsig KILL --)
mkfifo "$TMP/console"
log "${QEMU[*]}"
T0=$(now_s)
"${PDEATH[@]+"${PDEATH[@]}"}" "${QEMU[@]}" </dev/null >"$TMP/console" 2>&1 &
QPID=$!

: > "$TMP/log"
T_INIT='' T_RUN='' T_FIRST='' T_EXIT='' GUEST_RC='' TIMED_OUT=0 partial=''
TIMEOUT_US=$((TIMEOUT * 1000000))
exec 3<"$TMP/console"
while :; do
  if IFS= read -r -t 0.5 -u 3 chunk; then
    line=$partial$chunk; partial=''
  else
    st=$?
    if [ "$st" -gt 128 ]; then   # timed out: keep a partial line, check the deadline
      partial=$partial$chunk
      if [ "$(elapsed_us "$T0")" -gt "$TIMEOUT_US" ]; then TIMED_OUT=1; break; fi
      continue
    fi
    [ -n "$partial$chunk" ] || break   # EOF
    line=$partial$chunk; partial=''
  fi
  line=${line%$'\r'}
  if [ "$STAMPS" -eq 1 ]; then us=$(elapsed_us "$T0"); printf '[%3d.%02d] %s\n' $((us / 1000000)) $((us % 1000000 / 10000)) "$line"; else printf '%s\n' "$line"; fi
  printf '%s\n' "$line" >> "$TMP/log"
  case $line in
    '[init] t='*' run') [ -n "$T_RUN" ] || T_RUN=$(elapsed "$T0") ;;
    '[init] t='*) [ -n "$T_INIT" ] || T_INIT=$(elapsed "$T0") ;;
    'JVFIO-EXIT: '*) GUEST_RC=${line#JVFIO-EXIT: }; T_EXIT=$(elapsed "$T0") ;;
    *) [ -n "$T_RUN" ] && [ -z "$T_FIRST" ] && [ -z "$GUEST_RC" ] && [ -n "$line" ] && T_FIRST=$(elapsed "$T0") ;;
  esac
done
exec 3<&-

if [ "$TIMED_OUT" -eq 1 ]; then
  kill -TERM "$QPID" 2>/dev/null || true
  sleep 0.5; kill -KILL "$QPID" 2>/dev/null || true
  wait "$QPID" 2>/dev/null || true; QPID=''
  grep -E 'Oops|BUG:|WARNING:|Kernel panic' "$TMP/log" | sed "s/^/$LOG_PREFIX   /" >&2 || true
  log "TIMEOUT: QEMU killed after ${TIMEOUT}s"
  [ -z "$LOGFILE" ] || cp "$TMP/log" "$LOGFILE"
  exit 124
fi
QRC=0; wait "$QPID" || QRC=$?; QPID=''
T_END=$(elapsed "$T0")
[ -z "$LOGFILE" ] || cp "$TMP/log" "$LOGFILE"
log "timeline: /init ${T_INIT:-?}s, /jvfio/run ${T_RUN:-?}s, first output ${T_FIRST:-?}s, JVFIO-EXIT ${T_EXIT:-?}s, QEMU exit ${T_END}s (after QEMU start)"

if [ -z "$GUEST_RC" ]; then
  tail -n 5 "$TMP/log" | sed "s/^/$LOG_PREFIX   /" >&2
  log "QEMU exited (status $QRC) without a JVFIO-EXIT line"
  exit 125
fi
# Known-benign matches: with x-vof=on the NVRAM is unformatted and the kernel says so.
BENIGN='WARNING: nvram corruption detected: 0-length partition'
BAD=$(awk -v benign="$BENIGN" '/^JVFIO-DMESG-BEGIN$/ { d = 1; next } /^JVFIO-DMESG-END$/ { d = 0 }
           d && /Oops|BUG:|WARNING:/ && index($0, benign) == 0' "$TMP/log")
if [ -n "$BAD" ]; then
  log "the guest kernel log reports problems:"
  printf '%s\n' "$BAD" | sed "s/^/$LOG_PREFIX   /" >&2
  exit 3
fi
[[ $GUEST_RC =~ ^[0-9]+$ ]] || { log "unparsable JVFIO-EXIT value '$GUEST_RC'"; exit 125; }
exit "$GUEST_RC"
