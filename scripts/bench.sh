#!/usr/bin/env bash
# jvfio benchmarks, side by side in one run (docs/benchmarks.md explains the numbers):
#   the C loops (target/native: fionread_bench single|thread, noop_bench [--errno]) before, between
#   and after the two JMH groups they are the baseline of (IoctlBench, NoopBench), so that drift during
#   the run shows in their spread; JMH with -prof gc (ns per call and bytes allocated per call); the
#   emulator's benchmarks (EmulatorBench) and its retained heap per mapped TCE (TceFootprint); then the
#   same binding paths interleaved batch by batch in one JVM (SideBySide), the ratios a loaded machine
#   can still answer.
# Prints the tables and writes target/bench/report.md (raw data next to it).
#
# `make bench` builds what this needs first (native-bench, build). Environment:
#   BENCH_QUICK=1         a smoke run: short JMH iterations, fewer C runs (numbers not worth quoting)
#   BENCH_WAIT_QUIET=SEC  wait up to SEC seconds for the 1-minute load average to drop below 0.8
#   BENCH_GROUPS="..."    which JMH classes (default: IoctlBench NoopBench EmulatorBench) and SideBySide
#   JMH_ARGS="..."        extra JMH options
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME_BENCH:-$(scripts/find-jdk.sh)}"
export PATH="$JAVA_HOME/bin:$PATH"

OUT=target/bench
NATIVE=target/native
mkdir -p "$OUT"
rm -f "$OUT"/{c.txt,c-stderr.txt,footprint.txt,meta.txt,report.md,side-by-side.md} "$OUT"/jmh*.json "$OUT"/jmh*.log

for b in fionread_bench noop_bench libjvfionoop.so; do
  [ -e "$NATIVE/$b" ] || { echo "bench: $NATIVE/$b is missing: run make native-bench (or make bench)" >&2; exit 1; }
done

echo "[bench] compiling test classes and resolving the test class path" >&2
mvn -B -q -ntp test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile="$OUT/classpath.txt" -Dmdep.includeScope=test >&2
CP="target/test-classes:target/classes:$(cat "$OUT/classpath.txt")"


load1() { cut -d' ' -f1 /proc/loadavg; }
if [ -n "${BENCH_WAIT_QUIET:-}" ]; then
  deadline=$(( $(date +%s) + BENCH_WAIT_QUIET ))
  while awk -v l="$(load1)" 'BEGIN { exit !(l >= 0.8) }'; do
    [ "$(date +%s)" -ge "$deadline" ] && { echo "bench: load still $(load1) after ${BENCH_WAIT_QUIET}s; running anyway" >&2; break; }
    echo "bench: waiting for a quiet machine (1-min load $(load1))" >&2
    sleep 10
  done
fi

{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs"
  echo "kernel=$(uname -sr)"
  echo "jdk=$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "load at start (1/5/15 min)=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/meta.txt"
awk -v l="$(load1)" 'BEGIN { exit !(l >= 0.8) }' && \
  echo "bench: WARNING: 1-min load is $(load1): other work competes for the CPUs, the numbers will be noisy" >&2

if [ -n "${BENCH_QUICK:-}" ]; then
  C_PASSES=1; C_RUNS=3; C_CALLS=200000
  JMH_TIMING=(-wi 1 -i 2 -w 300ms -r 300ms)
else
  C_PASSES=2; C_RUNS=11; C_CALLS=1000000
  JMH_TIMING=()
fi

c_pass() {
  for _ in $(seq 1 "$C_PASSES"); do
    "$NATIVE/fionread_bench" single "$C_RUNS" "$C_CALLS"
    "$NATIVE/fionread_bench" thread "$C_RUNS" "$C_CALLS"
    "$NATIVE/noop_bench" "$C_RUNS" "$((C_CALLS * 20))"
    "$NATIVE/noop_bench" --errno "$C_RUNS" "$((C_CALLS * 20))"
  done >> "$OUT/c.txt" 2>> "$OUT/c-stderr.txt"
}

EMUL=1
[ -f target/classes/io/jvfio/emul/EmulatedBackend.class ] || EMUL=0
GROUPS_TO_RUN="${BENCH_GROUPS:-IoctlBench NoopBench EmulatorBench SideBySide}"

jmh() { # group
  local g=$1
  echo "[bench] JMH $g (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  echo "load before $g (1/5/15 min)=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/meta.txt"
  # shellcheck disable=SC2086
  java -cp "$CP" org.openjdk.jmh.Main "io\.jvfio\.bench\.$g\." "${JMH_TIMING[@]}" -prof gc \
      -rf json -rff "$OUT/jmh-$g.json" \
      -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -Djvfio.noop.lib=$PWD/$NATIVE/libjvfionoop.so" \
      ${JMH_ARGS:-} > "$OUT/jmh-$g.log" 2>&1 || echo "bench: JMH $g failed: see $OUT/jmh-$g.log" >&2
  grep -E '^[A-Za-z]+Bench\.[A-Za-z0-9]+ .* ns/op' "$OUT/jmh-$g.log" >&2 || true
}

echo "[bench] C loops" >&2
c_pass
for g in IoctlBench NoopBench; do
  case " $GROUPS_TO_RUN " in *" $g "*) jmh "$g"; echo "[bench] C loops" >&2; c_pass ;; esac
done
case " $GROUPS_TO_RUN " in *" EmulatorBench "*)
  if [ "$EMUL" = 1 ]; then jmh EmulatorBench; else
    echo "bench: io.jvfio.emul is not built: skipping EmulatorBench and the footprint" >&2; fi ;;
esac

if [ "$EMUL" = 1 ] && [[ " $GROUPS_TO_RUN " == *" EmulatorBench "* ]]; then
  echo "[bench] emulator heap per mapped TCE" >&2
  java --enable-native-access=ALL-UNNAMED -cp "$CP" -Xmx2g io.jvfio.bench.TceFootprint > "$OUT/footprint.txt" || \
    echo "bench: the footprint measurement failed (see above)" >&2
fi

case " $GROUPS_TO_RUN " in *" SideBySide "*)
  echo "[bench] side by side in one JVM (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  rounds=1001; warm=200
  [ -n "${BENCH_QUICK:-}" ] && { rounds=51; warm=20; }
  java --enable-native-access=ALL-UNNAMED -Djvfio.noop.lib="$PWD/$NATIVE/libjvfionoop.so" \
      -Djvfio.bench.out="$OUT/side-by-side.md" -cp "$CP" io.jvfio.bench.SideBySide "$rounds" "$warm" > /dev/null || \
    echo "bench: the side-by-side run failed (see above)" >&2 ;;
esac

echo "load at end (1/5/15 min)=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/meta.txt"
[ -n "${BENCH_QUICK:-}" ] && echo "mode=BENCH_QUICK smoke run: not for quoting" >> "$OUT/meta.txt"
java -cp "$CP" io.jvfio.bench.BenchReport "$OUT"
if [ -s "$OUT/side-by-side.md" ]; then
  { echo; echo "## Side by side in one JVM"; echo; cat "$OUT/side-by-side.md"; } | tee -a "$OUT/report.md"
fi
echo "[bench] report: $OUT/report.md (raw data: jmh-*.json, jmh-*.log, c.txt, footprint.txt)" >&2
