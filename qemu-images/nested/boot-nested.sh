#!/usr/bin/env bash
# boot-nested.sh [options] L2_OVERLAY_DIR
# Boots L0 -> L1 -> L2 from the shell (no Java needed): L0 is the host's QEMU (TCG, cap-nested-hv=on),
# L1 the image of build-l1.sh, and L2 the 4K guest whose /jvfio comes from L2_OVERLAY_DIR (its 'run'
# script runs in L2, like boot.sh's overlay). Uses boot.sh for L0, so its output, timeline and exit
# codes apply (the L1 run's status: 0 ok, 10-16 see l1-run.sh; 124 timeout; 3 L1 kernel problem).
#
# Options:
#   --l1-kernel 64k|4k       L1's kernel (default 64k; 4k is the broken setup)
#   --dma-win-size BYTES     L2's default window (spapr-pci-host-bridge.dma_win_size, default 0x1000000 = 16 MiB)
#   --l2-global PROP=VAL     another -global for L2's QEMU (repeatable)
#   --l2-mem SIZE            L2's RAM (default 512M)
#   --l2-timeout S           L1 stops L2 after S seconds (default 240)
#   --no-nested-hv           L0 without cap-nested-hv=on (L1 gets no /dev/kvm: the failure path)
#   --timeout S              boot.sh's bound on everything (default 300)
#   --log FILE               the L0 console (as boot.sh --log)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGES_SRC=$(cd "$HERE/.." && pwd)
LOG_PREFIX='[nested]'
# shellcheck source=../common.sh
. "$IMAGES_SRC/common.sh"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
L1K=64k DMA_WIN=0x1000000 L2_MEM=512M L2_TIMEOUT=240 TIMEOUT=300 NESTED_HV=1 LOGFILE=''
GLOBALS=()
while [ $# -gt 0 ]; do
  case $1 in
    --l1-kernel) L1K=$2; shift 2 ;;
    --dma-win-size) DMA_WIN=$2; shift 2 ;;
    --l2-global) GLOBALS+=("$2"); shift 2 ;;
    --l2-mem) L2_MEM=$2; shift 2 ;;
    --l2-timeout) L2_TIMEOUT=$2; shift 2 ;;
    --no-nested-hv) NESTED_HV=0; shift ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    --log) LOGFILE=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "$LOG_PREFIX unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] && [ -d "$1" ] || usage
case $L1K in 64k|4k) ;; *) die "--l1-kernel: 64k or 4k" ;; esac
L1_IMAGES=$IMAGES_DIR/nested/l1
if [ "$L1K" = 64k ]; then K64=(--64k) BASE=$L1_IMAGES/base-64k.cpio; else K64=() BASE=$L1_IMAGES/base.cpio; fi
[ -f "$BASE" ] || die "$BASE is missing: run qemu-images/nested/build-l1.sh --l1-kernel $L1K"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/jvfio-nested.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/l1"
"$IMAGES_SRC/overlay.sh" "$1" "$TMP/l2-overlay.cpio"
cat "$IMAGES_DIR/base.cpio" "$TMP/l2-overlay.cpio" > "$TMP/l1/l2-initrd"
{
  echo "L2_MEM=$L2_MEM"
  echo "L2_TIMEOUT=$L2_TIMEOUT"
  echo "L2_GLOBALS='spapr-pci-host-bridge.dma_win_size=$DMA_WIN${GLOBALS[*]:+ ${GLOBALS[*]}}'"
} > "$TMP/l1/nested.conf"
printf 'set -a\n. /jvfio/nested.conf\nset +a\nexec sh /opt/nested/l1-run.sh\n' > "$TMP/l1/run"

MOPTS=(); [ "$NESTED_HV" -eq 0 ] || MOPTS=(--machine-opts cap-nested-hv=on)
LOGOPT=(); [ -z "$LOGFILE" ] || LOGOPT=(--log "$LOGFILE")
rc=0
"$IMAGES_SRC/boot.sh" --images "$L1_IMAGES" "${K64[@]+"${K64[@]}"}" "${MOPTS[@]+"${MOPTS[@]}"}" --mem 4G \
  --timestamps --timeout "$TIMEOUT" "${LOGOPT[@]+"${LOGOPT[@]}"}" "$TMP/l1" || rc=$?
exit "$rc"
