#!/bin/sh
# L1's side of a nested-KVM run (busybox sh; shipped as /opt/nested/l1-run.sh by build-l1.sh).
# A run's /jvfio/run sources its settings and calls this script. Steps:
#   1. insmod kvm, kvm-hv; /dev/kvm must appear (nested HV from L0: cap-nested-hv=on);
#   2. the devices for L2 must be bound to vfio-pci (L1's /init binds every PCI device);
#   3. start L2 (QEMU from Debian, -accel kvm, the devices as vfio-pci, tracing the SPAPR events to
#      a file), L2's console forwarded line by line as "[L2] ..." (and kept in /tmp/l2.log);
#   4. after L2: its exit status, L2's and L1's kernel logs checked for Oops/BUG/WARNING, the raw
#      trace between NESTED-TRACE-BEGIN/END, the SPAPR operations QEMU issued on L1 between
#      NESTED-SPAPR-OPS-BEGIN/END ("NESTED-OP <s> <op> <args>" lines), and one line
#      "NESTED-RESULT: ok ..." or "NESTED-FAIL: <reason>".
# Exit status: 0 ok; 10 no /dev/kvm; 11 QEMU in L1 failed to create a SPAPR window; 12 a test failed
# in L2; 13 the time ran out; 14 QEMU in L1 failed otherwise (L2 never reported its end);
# 15 a kernel problem in L2 or L1; 16 a device for L2 is not bound to vfio-pci.
#
# Settings (shell variables, normally from /jvfio/nested.conf; no value may contain spaces):
#   L2_DEVICES   host addresses passed to L2 as vfio-pci, each ADDR[,more vfio-pci options]
#                (default 0000:00:00.0; e.g. 0001:00:00.0,bus=phb1.0 with a PHB from L2_EXTRA)
#   L2_MEM L2_SMP L2_CPU         -m (512M), -smp (1), -cpu (host)
#   L2_MACHINE   extra -M options, comma-separated (after the fixed pseries,x-vof=on,cap-*)
#   L2_GLOBALS   -global values, e.g. spapr-pci-host-bridge.dma_win_size=0x8000000
#   L2_EXTRA     extra QEMU arguments (placed before the devices)
#   L2_APPEND    extra kernel arguments for L2
#   L2_TRACE     trace event patterns (default vfio_spapr_* vfio_prereg_* spapr_iommu_ddw_*)
#   L2_TIMEOUT   seconds L2 may run before QEMU is stopped (default 240)
#   L2_KERNEL L2_INITRD          (default /opt/nested/l2/vmlinux, /jvfio/l2-initrd)

: "${L2_DEVICES:=0000:00:00.0}" "${L2_MEM:=512M}" "${L2_SMP:=1}" "${L2_CPU:=host}" "${L2_TIMEOUT:=240}"
: "${L2_TRACE:=vfio_spapr_* vfio_prereg_* spapr_iommu_ddw_*}"
: "${L2_KERNEL:=/opt/nested/l2/vmlinux}" "${L2_INITRD:=/jvfio/l2-initrd}"
set -f   # the settings hold trace patterns such as vfio_spapr_*: no globbing
T=/tmp/nested
mkdir -p $T
up() { read -r u _ </proc/uptime; echo "$u"; }
say() { echo "[L1] $*"; }
# The one-line verdict; everything after it is detail.
verdict() { echo "NESTED-FAIL: $1"; exit "$2"; }
BENIGN='WARNING: nvram corruption detected: 0-length partition'
KNOWN_WARN='virt/kvm/vfio.c:103|kvm_spapr_tce_release_vfio_group'

say "t=$(up) nested L1: $(tr '\n' ' ' </etc/jvfio/nested)"
say "L1 kernel $(uname -r), page size $(sed -n 's/^KernelPageSize: *//p' /proc/self/smaps | head -n1)"

# 1. KVM ---------------------------------------------------------------------------------------
for m in $(cat /opt/nested/kvm/modules); do
  out=$(insmod /opt/nested/kvm/$m 2>&1) || { say "insmod $m failed: $out"; echo "insmod $m: $out" >>$T/kvm.err; }
done
# kvm.ko alone creates /dev/kvm on powerpc; only a loaded kvm-hv makes it usable for L2
if [ ! -c /dev/kvm ] || [ ! -d /sys/module/kvm_hv ]; then
  why=$(dmesg | grep -iE 'kvm|nested|hypervisor' | sed 's/^\[[ 0-9.]*\] //' | uniq | tail -n 2 | tr '\n' ';' | sed 's/;$//')
  [ -s $T/kvm.err ] && why="$(tr '\n' ';' <$T/kvm.err | sed 's/;$//')${why:+; dmesg: $why}"
  [ -c /dev/kvm ] && why="the device exists but kvm-hv is not loaded: $why"
  verdict "L1 has no /dev/kvm (${why:-kvm-hv not loaded}; L0 needs -M pseries,cap-nested-hv=on and -cpu power9 or power10)" 10
fi
say "/dev/kvm ready: kvm_hv.nested=$(cat /sys/module/kvm_hv/parameters/nested 2>/dev/null || echo '?')"

# 2. L2's machine and devices -----------------------------------------------------------------------
# A 4K-page KVM host cannot back L2's 64K pages: QEMU refuses to start ("Can't support 64 kiB guest
# pages with 4 kiB host pages with this KVM implementation") unless L2's HPT page size is capped.
PAGESZ=$(sed -n 's/^KernelPageSize: *//p' /proc/self/smaps | head -n1)
if [ "$PAGESZ" = "4 kB" ]; then
  case ",$L2_MACHINE," in
    *,cap-hpt-max-page-size=*) ;;
    *) L2_MACHINE="${L2_MACHINE:+$L2_MACHINE,}cap-hpt-max-page-size=4k"
       say "4K-page L1: adding cap-hpt-max-page-size=4k to L2's machine (QEMU refuses 64K guest pages on a 4K KVM host)" ;;
  esac
fi
set -- -M "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off${L2_MACHINE:+,$L2_MACHINE}" \
  -accel kvm -cpu "$L2_CPU" -smp "$L2_SMP" -m "$L2_MEM" -display none -nodefaults -serial stdio -monitor none \
  -no-reboot -kernel "$L2_KERNEL" -initrd "$L2_INITRD" -append "console=hvc0 quiet loglevel=4${L2_APPEND:+ $L2_APPEND}"
# extra arguments first: a PHB they add must exist before a device is put on it
# shellcheck disable=SC2086  # L2_EXTRA is a word list on purpose
[ -z "$L2_EXTRA" ] || set -- "$@" $L2_EXTRA
for d in $L2_DEVICES; do
  dev=/sys/bus/pci/devices/${d%%,*}   # ADDR[,vfio-pci options], e.g. 0001:00:00.0,bus=phb1.0
  [ -e "$dev" ] || verdict "L1 has no PCI device ${d%%,*} to pass to L2 ($(ls /sys/bus/pci/devices | tr '\n' ' '))" 16
  drv=none; [ -e "$dev/driver" ] && drv=$(basename "$(readlink "$dev/driver")")
  [ "$drv" = vfio-pci ] || verdict "L1 could not bind ${d%%,*} to vfio-pci (driver: $drv)" 16
  say "L2 gets ${d%%,*} ($(cat $dev/vendor):$(cat $dev/device)), vfio-pci, IOMMU group $(basename "$(readlink $dev/iommu_group)")"
  set -- "$@" -device "vfio-pci,host=$d"
done
for g in $L2_GLOBALS; do set -- "$@" -global "$g"; done
for p in $L2_TRACE; do set -- "$@" -trace "enable=$p"; done
# the trace goes to stderr, which is unbuffered: a -D file loses its last lines when QEMU aborts
set -- "$@" -msg timestamp=on

# 3. L2 ------------------------------------------------------------------------------------------
say "t=$(up) starting L2: qemu-system-ppc64 $*"
: >$T/l2.log
rm -f $T/l2.fifo; mkfifo $T/l2.fifo
qemu-system-ppc64 "$@" </dev/null >$T/l2.fifo 2>$T/qemu.err &
qpid=$!
( sleep "$L2_TIMEOUT"
  if [ -d /proc/$qpid ]; then
    echo "$L2_TIMEOUT" >$T/timedout
    kill -TERM $qpid; sleep 5; kill -KILL $qpid 2>/dev/null
  fi ) </dev/null >/dev/null 2>&1 &
wpid=$!
# one awk, flushing every line: tee/sed would sit on L2's output in stdio buffers (and the host
# timestamps each console line as it arrives)
awk -v lf=$T/l2.log '{ sub(/\r$/, ""); print "[L2] " $0; fflush(); print $0 >> lf; fflush(lf) }' <$T/l2.fifo
wait $qpid; qrc=$?
kill $wpid 2>/dev/null
say "t=$(up) L2's QEMU exited with status $qrc"
TRACE_LINE='^[0-9][0-9]*@[0-9][0-9]*\.[0-9]*:'
grep -E "$TRACE_LINE" $T/qemu.err >$T/trace.log
grep -vE "$TRACE_LINE" $T/qemu.err >$T/qemu.msg
sed 's/^/[L1] qemu: /' $T/qemu.msg

# 4. What happened ---------------------------------------------------------------------------------
echo "NESTED-TRACE-BEGIN"
cat $T/trace.log 2>/dev/null
echo "NESTED-TRACE-END"
# The operations QEMU issued on L1's VFIO SPAPR container (and what L2 asked of L1's QEMU), in order:
# NESTED-OP <seconds since the first event> <op> <args>
echo "NESTED-SPAPR-OPS-BEGIN"
awk '
  { line = $0; t = ""
    if (match(line, /^[0-9]+@[0-9]+\.[0-9]+:/)) { ts = substr(line, 1, RLENGTH - 1); sub(/^[0-9]+@/, "", ts); t = ts + 0; line = substr(line, RLENGTH + 1) }
    n = split(line, w, " "); ev = w[1]; args = substr(line, length(ev) + 2)
    op = ""
    if (ev == "vfio_spapr_remove_window") op = created ? "remove-window" : "remove-default-window"
    else if (ev == "vfio_spapr_create_window") { op = "create-window"; created = 1 }
    else if (ev == "vfio_prereg_register") op = "register-memory"
    else if (ev == "vfio_prereg_unregister") op = "unregister-memory"
    else if (ev == "vfio_spapr_group_attach") op = "attach-group-to-kvm-tce-table"
    else if (ev == "spapr_iommu_ddw_query") op = "L2:ddw-query"
    else if (ev == "spapr_iommu_ddw_create") op = "L2:ddw-create"
    else if (ev == "spapr_iommu_ddw_remove") op = "L2:ddw-remove"
    else if (ev == "spapr_iommu_ddw_reset") op = "L2:ddw-reset"
    if (op == "") next
    if (t0 == "" && t != "") t0 = t
    printf "NESTED-OP %s %s %s\n", (t == "" ? "-" : sprintf("%.3f", t - t0)), op, args
  }' $T/trace.log 2>/dev/null
echo "NESTED-SPAPR-OPS-END"

# L2's end as its /init reported it, and its kernel log
l2rc=$(sed -n 's/^JVFIO-EXIT: //p' $T/l2.log | head -n1)
sed -n '/^JVFIO-DMESG-BEGIN$/,/^JVFIO-DMESG-END$/p' $T/l2.log >$T/l2.dmesg
l2bad=$(grep -E 'Oops|BUG:|WARNING:|Kernel panic' $T/l2.dmesg | grep -vF "$BENIGN")
# L1's kernel log (L1's /init prints it again after this script, for the host)
dmesg >$T/l1.dmesg
l1known=$(grep -E 'WARNING:' $T/l1.dmesg | grep -E "$KNOWN_WARN")
l1bad=$(grep -E 'Oops|BUG:|WARNING:|Kernel panic' $T/l1.dmesg | grep -vF "$BENIGN" | grep -vE "$KNOWN_WARN")
[ -z "$l1known" ] || echo "NESTED-KNOWN-WARN: L1 kernel: $(echo "$l1known" | head -n1 | sed 's/^\[[ 0-9.]*\] //') -- the known WARN when QEMU in L1 exits early (docs/nested-kvm.md), not a new bug"
[ -z "$l2bad" ] || echo "$l2bad" | sed 's/^/[L1] L2 kernel problem: /'
[ -z "$l1bad" ] || echo "$l1bad" | sed 's/^/[L1] L1 kernel problem: /'
failed=$(grep -c '^@@JVFIO-TEST .*"status":"FAILED"' $T/l2.log)
summary=$(grep '^@@JVFIO-SUMMARY ' $T/l2.log | head -n1 | sed 's/^@@JVFIO-SUMMARY //')

QPREFIX='s/^[-0-9T:.Z]* *qemu-system-ppc64: //'
if grep -qiE 'Failed to create (SPAPR|a) window' $T/qemu.msg; then
  qmsg=$(grep -iE 'Failed to create' $T/qemu.msg | head -n1 | sed "$QPREFIX")
  if [ "$PAGESZ" = "4 kB" ]; then
    why=''
    # Before L2 printed anything, the window is L2's default one (dma_win_size, QEMU's default 1 GiB).
    # QEMU 7.2 (hw/vfio/spapr.c): levels = ceil(log2(TCE table bytes) / (log2(host page) + 8)); a 4K
    # host backs every TCE with a 4K one, so the table is size/4K*8 bytes and one level holds 2^20.
    if [ ! -s $T/l2.log ]; then
      s=$(( 1 << 30 ))
      for g in $L2_GLOBALS; do case $g in spapr-pci-host-bridge.dma_win_size=*) s=$(( ${g#*=} )) ;; esac; done
      b=0; x=$(( s / 4096 * 8 ))
      while [ "$x" -gt 1 ]; do x=$(( x / 2 )); b=$(( b + 1 )); done
      why="L2's default window of $(( s >> 20 )) MiB needs a 2^$b-byte table of 4K host TCEs, more than the 2^20 bytes of one level: $(( (b + 19) / 20 )) levels; "
    fi
    verdict "QEMU in L1 failed to create a SPAPR window: the 4K-page L1 kernel makes QEMU ask for 2-level TCE tables, which pSeries refuses (${why}QEMU: $qmsg)" 11
  fi
  verdict "QEMU in L1 failed to create a SPAPR window (QEMU: $qmsg)" 11
fi
if [ -f $T/timedout ]; then
  verdict "the time ran out: L2 did not finish within $(cat $T/timedout) s (QEMU in L1 stopped; ${summary:-no test summary}; last L2 line: $(tail -n1 $T/l2.log))" 13
fi
if [ -z "$l2rc" ]; then
  # QEMU's last error (error_report lines name the binary; warnings and register dumps do not count)
  qmsg=$(grep 'qemu-system-ppc64: ' $T/qemu.msg | grep -v 'qemu-system-ppc64: warning:' | tail -n1 | sed "$QPREFIX")
  [ -n "$qmsg" ] || qmsg=$(grep -v '^$' $T/qemu.msg | tail -n1)
  verdict "QEMU in L1 exited with status $qrc before L2 finished (${qmsg:-no message})" 14
fi
if [ "$failed" -gt 0 ] || [ "$l2rc" != 0 ]; then
  first=$(grep '^@@JVFIO-TEST .*"status":"FAILED"' $T/l2.log | head -n1 | sed 's/.*"class":"\([^"]*\)","name":"\([^"]*\)".*/\1 > \2/')
  verdict "a test failed in L2 ($failed failed${first:+, first: $first}; L2 run script exit $l2rc; ${summary:-no summary})" 12
fi
if [ -n "$l2bad" ] || [ -n "$l1bad" ]; then
  verdict "kernel problem: $( { echo "$l2bad" | sed -n '1s/^\[[ 0-9.]*\] /L2: /p'; echo "$l1bad" | sed -n '1s/^\[[ 0-9.]*\] /L1: /p'; } | grep . | head -n1)" 15
fi
echo "NESTED-RESULT: ok (${summary:-L2 exit $l2rc})"
exit 0
